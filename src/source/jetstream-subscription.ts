import { AckPolicy, DeliverPolicy, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { ConsumerMessages, JetStreamManager, JsMsg } from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { MessageHandler, RouteSource } from './source.js'

export interface JetStreamRouteOptions {
  stream: string
  durable: string
  subject: string
  /** True when the store survives a crash: ack once stored. False (memory): ack once the broker has it. */
  durableStore: boolean
  /** Resolves when everything appended so far is durable (the store's flush). */
  flush: () => Promise<void>
  /** Counts a message JetStream delivers again (after a crash or an ack that did not arrive). */
  onRedelivered: () => void
}

/** Messages pulled per request; also how many the consumer may have unacknowledged with a file store. */
const PULL_BATCH = 1000
/**
 * With the memory store an ack waits for the broker, possibly through a long outage: JetStream must
 * not redeliver in the meantime, and must stop delivering after a bounded number unacked.
 */
const MEMORY_ACK_WAIT_MS = 3_600_000
const MEMORY_MAX_ACK_PENDING = 20_000
// Only needs to outlast a group commit; short, so that work of an instance that died moves on quickly.
const FILE_ACK_WAIT_MS = 10_000
/** A message the store refused (full) comes back after this delay. */
const REFUSED_REDELIVERY_MS = 5000
/**
 * Replicas of a stream the service creates on a NATS cluster: 3 survives the loss of any one node
 * (issue 10: a message NATS acknowledged to its publisher must not die with the node that had it).
 * A smaller cluster refuses 3; the next lower count is tried then.
 */
const CLUSTER_REPLICAS = [3, 2, 1] as const
/** JetStream API errors that mean "not that many replicas here": insufficient resources, not clustered. */
const REPLICAS_REFUSED = new Set([10023, 10074])

/**
 * A JetStream route (`source = "jetstream"`): a durable pull consumer on `stream`, created with
 * the stream if missing. Messages published while the service was down wait in the stream; several
 * instances sharing the durable share the work. A message is acknowledged only once it is safe.
 */
export class JetStreamSubscription implements RouteSource {
  readonly #nc: NatsConnection
  readonly #opts: JetStreamRouteOptions
  readonly #handler: MessageHandler
  readonly #log: Logger
  #messages: ConsumerMessages | undefined
  #toAck: JsMsg[] = []
  #flushing = false

  constructor(nc: NatsConnection, opts: JetStreamRouteOptions, handler: MessageHandler, log: Logger) {
    this.#nc = nc
    this.#opts = opts
    this.#handler = handler
    this.#log = log
  }

  async start(): Promise<void> {
    const jsm = await jetstreamManager(this.#nc)
    await this.#ensureStream(jsm)
    await this.#ensureConsumer(jsm)
    const consumer = await jetstream(this.#nc).consumers.get(this.#opts.stream, this.#opts.durable)
    this.#messages = await consumer.consume({ max_messages: PULL_BATCH, callback: (m) => this.#onMessage(m) })
  }

  #onMessage(m: JsMsg): void {
    if (m.redelivered) this.#opts.onRedelivered()
    const ackOnDelivery = !this.#opts.durableStore
    const result = this.#handler(m.subject, m.data, ackOnDelivery ? () => m.ack() : undefined)
    if (result === 'refused') {
      m.nak(REFUSED_REDELIVERY_MS)
      return
    }
    if (result === 'invalid' || result === 'ignored' || !ackOnDelivery) {
      this.#toAck.push(m)
      this.#scheduleAck()
    }
  }

  /** Acks in batches, after one store flush per batch (group commit). */
  #scheduleAck(): void {
    if (this.#flushing) return
    this.#flushing = true
    setImmediate(() => {
      const batch = this.#toAck
      this.#toAck = []
      this.#opts.flush().then(
        () => {
          for (const m of batch) m.ack()
        },
        (err: unknown) => {
          // Not durable: let JetStream deliver them again rather than ack what may be lost.
          this.#log.warn({ err: describeError(err), count: batch.length }, 'store flush failed; messages will be redelivered')
          for (const m of batch) m.nak(REFUSED_REDELIVERY_MS)
        },
      ).finally(() => {
        this.#flushing = false
        if (this.#toAck.length > 0) this.#scheduleAck()
      })
    })
  }

  async #ensureStream(jsm: JetStreamManager): Promise<void> {
    const { stream, subject } = this.#opts
    try {
      const info = await jsm.streams.info(stream)
      const subjects = info.config.subjects ?? []
      if (!subjects.some((s) => covers(s, subject))) {
        await jsm.streams.update(stream, { subjects: [...subjects, subject] })
        this.#log.info({ stream, subject }, 'JetStream stream extended to the route subject')
      }
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err
      await this.#createStream(jsm)
    }
  }

  /** Creates the stream, replicated on a cluster (as many replicas as it takes, up to 3). */
  async #createStream(jsm: JetStreamManager): Promise<void> {
    const { stream, subject } = this.#opts
    // A clustered server names its cluster in INFO; a single server takes one replica only.
    const counts = this.#nc.info?.cluster !== undefined ? CLUSTER_REPLICAS : ([1] as const)
    for (const replicas of counts) {
      try {
        await jsm.streams.add({ name: stream, subjects: [subject], num_replicas: replicas })
        this.#log.info({ stream, subject, replicas }, 'JetStream stream created')
        return
      } catch (err: unknown) {
        const refused = err instanceof JetStreamApiError && REPLICAS_REFUSED.has(err.code)
        if (!refused || replicas === 1) throw err
        this.#log.info({ stream, replicas, err: describeError(err) }, 'JetStream refused this many replicas; trying fewer')
      }
    }
  }

  async #ensureConsumer(jsm: JetStreamManager): Promise<void> {
    const { stream, durable, subject, durableStore } = this.#opts
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject,
      ack_wait: nanos(durableStore ? FILE_ACK_WAIT_MS : MEMORY_ACK_WAIT_MS),
      max_ack_pending: durableStore ? PULL_BATCH * 10 : MEMORY_MAX_ACK_PENDING,
    }
    try {
      await jsm.consumers.info(stream, durable)
      await jsm.consumers.update(stream, durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending, filter_subject: subject })
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err
      await jsm.consumers.add(stream, config)
      this.#log.info({ stream, durable, subject }, 'JetStream consumer created')
    }
  }

  async stop(): Promise<void> {
    const messages = this.#messages
    this.#messages = undefined
    if (messages) {
      messages.stop()
      await messages.closed().catch(() => undefined) // closing: errors no longer matter
    }
    // Ack what is stored; the rest JetStream will deliver again.
    const batch = this.#toAck
    this.#toAck = []
    if (batch.length > 0) {
      await this.#opts.flush()
      for (const m of batch) m.ack()
    }
  }
}

function isNotFound(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err)
  return /not ?found/i.test(text)
}

/** Whether stream subject `pattern` covers the subject `subject` (NATS wildcard rules). */
export function covers(pattern: string, subject: string): boolean {
  const p = pattern.split('.')
  const s = subject.split('.')
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i < s.length
    if (i >= s.length) return false
    if (p[i] !== '*' && p[i] !== s[i]) return false
    if (p[i] === '*' && s[i] === '>') return false
  }
  return p.length === s.length
}
