import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { connect } from 'mqtt'
import type { IClientOptions, MqttClient } from 'mqtt'
import { WaitTimeoutError, withDeadline } from './wait.js'

export { checkSequence, describeSequence } from './sequence.js'
export type { SequenceReport, OutOfOrder } from './sequence.js'

/** One message as the collector received it. */
export interface ReceivedMessage {
  topic: string
  payload: Buffer
  qos: 0 | 1 | 2
  retain: boolean
  /** DUP flag: the broker says this may be a resend. */
  dup: boolean
  /** `Date.now()` at arrival. */
  receivedAt: number
}

/** Options of {@link startCollector}. */
export interface CollectorOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1884` or `mqtts://localhost:8883`. */
  url: string
  /** Topic filter(s) to subscribe to, e.g. `channels/c1/messages/#`. */
  topic: string | string[]
  qos: 0 | 1 | 2
  username?: string
  password?: string
  /** CA (PEM) for an `mqtts://` broker. */
  ca?: string | Buffer
  /** Client certificate and key (PEM) for a broker that requires one. */
  cert?: string | Buffer
  key?: string | Buffer
  /** Default true. */
  rejectUnauthorized?: boolean
  /** 4 (MQTT 3.1.1, default) or 5. */
  protocolVersion?: 4 | 5
  /** Default: a unique `collector-<random>`. */
  clientId?: string
  /**
   * Clean session; default true, so that each test starts with nothing queued. False (with a
   * fixed `clientId`) resumes a session: what the broker queued meanwhile is recorded too.
   */
  clean?: boolean
  /** Deadline for CONNACK and SUBACK; default 5 s. */
  connectTimeoutMs?: number
  /** Stops recording (and fails {@link Collector.waitForCount}) beyond this many; default 1,000,000. */
  maxMessages?: number
}

/** A real MQTT subscriber that records what arrives, in order. */
export interface Collector {
  readonly clientId: string
  readonly client: MqttClient
  /** Everything received so far, in arrival order. */
  readonly messages: readonly ReceivedMessage[]
  readonly count: number
  /** Payloads as UTF-8, optionally only those of one topic. */
  payloads(topic?: string): string[]
  /**
   * Resolves once at least `n` messages have arrived.
   * @throws {WaitTimeoutError} naming how many arrived.
   */
  waitForCount(n: number, timeoutMs: number): Promise<readonly ReceivedMessage[]>
  /** Forgets what was received. */
  clear(): void
  /** Disconnects. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** Connects, subscribes, and resolves once the subscription is granted. */
export async function startCollector(opts: CollectorOptions): Promise<Collector> {
  const clientId = opts.clientId ?? `collector-${randomBytes(6).toString('hex')}`
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5000
  const maxMessages = opts.maxMessages ?? 1_000_000
  const options: IClientOptions = {
    clientId,
    clean: opts.clean ?? true,
    protocolVersion: opts.protocolVersion ?? 4,
    connectTimeout: connectTimeoutMs,
    // Reconnect (and resubscribe) if a fault test restarts the collector's broker.
    reconnectPeriod: 250,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
    ...(opts.key !== undefined ? { key: opts.key } : {}),
    rejectUnauthorized: opts.rejectUnauthorized ?? true,
  }
  const messages: ReceivedMessage[] = []
  const arrivals = new EventEmitter()
  let overflowed = false
  // connect() rather than connectAsync(): on a deadline the client must be ended, or it would go
  // on retrying a dead broker in the background of the next test.
  const client = connect(opts.url, options)
  // An 'error' event without a listener would crash the test process; reconnects are mqtt.js's
  // job, and lasting failures show as missing messages in waitForCount.
  client.on('error', () => undefined)
  // Listening before CONNACK: a resumed session's queued messages may follow it in the same read.
  client.on('message', (topic, payload, packet) => {
    if (messages.length >= maxMessages) {
      overflowed = true
      return
    }
    messages.push({ topic, payload, qos: packet.qos, retain: packet.retain, dup: packet.dup, receivedAt: Date.now() })
    arrivals.emit('message')
  })

  try {
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve())
        // Refused credentials or certificates arrive as 'error'; a refused port only as retries.
        client.once('error', reject)
      }),
      connectTimeoutMs,
      `collector ${clientId} to connect to ${opts.url}`,
    )
  } catch (err: unknown) {
    await client.endAsync(true)
    throw err
  }

  try {
    const granted = await withDeadline(
      client.subscribeAsync(opts.topic, { qos: opts.qos }),
      connectTimeoutMs,
      `SUBACK for ${String(opts.topic)}`,
    )
    const refused = granted.filter((g) => g.qos === 128)
    if (refused.length > 0) throw new Error(`broker refused subscription to ${refused.map((g) => g.topic).join(', ')}`)
  } catch (err: unknown) {
    await client.endAsync(true)
    throw err
  }

  let closing: Promise<void> | undefined
  const collector: Collector = {
    clientId,
    client,
    messages,
    get count() {
      return messages.length
    },
    payloads: (topic) => messages.filter((m) => topic === undefined || m.topic === topic).map((m) => m.payload.toString('utf8')),
    waitForCount: async (n, timeoutMs) => {
      if (messages.length >= n) return messages
      return new Promise((resolve, reject) => {
        const onMessage = (): void => {
          if (messages.length < n) return
          finish()
          resolve(messages)
        }
        const timer = setTimeout(() => {
          finish()
          const extra = overflowed ? ` (recording stopped at maxMessages ${maxMessages})` : ''
          reject(new WaitTimeoutError(
            `timed out after ${timeoutMs}ms waiting for ${n} messages on ${String(opts.topic)}: ${messages.length} arrived${extra}`,
          ))
        }, timeoutMs)
        const finish = (): void => {
          clearTimeout(timer)
          arrivals.off('message', onMessage)
        }
        arrivals.on('message', onMessage)
      })
    },
    clear: () => {
      messages.length = 0
      overflowed = false
    },
    close: () => {
      closing ??= client.endAsync(true)
      return closing
    },
    [Symbol.asyncDispose]: () => collector.close(),
  }
  return collector
}
