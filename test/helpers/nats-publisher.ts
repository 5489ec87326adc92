import { createConnection } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { jetstream } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import { withDeadline } from './wait.js'

/** Options of {@link publishSequence}. */
export interface PublishSequenceOptions {
  /** Payload of message `i` (0-based); default {@link sequencePayload}. */
  payload?: (i: number) => Uint8Array
  /** Pace to this many messages a second; default: as fast as possible. */
  ratePerSec?: number
  /** Flush (or, with JetStream, await the acks) every this many messages; default 500. */
  batch?: number
  /** Publish through JetStream and wait for each stream ack, instead of core NATS. */
  jetstream?: boolean
  /** Fail if publishing takes longer; default 60 s. */
  timeoutMs?: number
}

/** What {@link publishSequence} did. */
export interface PublishResult {
  published: number
  elapsedMs: number
}

const MAX_COUNT = 10_000_000
const encoder = new TextEncoder()

/** The default payload of message `i`: its number as text, `"0"`, `"1"`, … */
export function sequencePayload(i: number): Uint8Array {
  return encoder.encode(String(i))
}

/** The payloads {@link publishSequence} sends by default, as strings, for {@link checkSequence}. */
export function expectedSequence(count: number, first = 0): string[] {
  return Array.from({ length: count }, (_, i) => String(first + i))
}

/**
 * Publishes `count` messages on `subject` with the official NATS client and resolves once the
 * server has them all (core NATS: flushed; JetStream: acked).
 */
export async function publishSequence(
  natsUrl: string,
  subject: string,
  count: number,
  opts: PublishSequenceOptions = {},
): Promise<PublishResult> {
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
    throw new RangeError(`publishSequence: count must be an integer in 0..${MAX_COUNT}, got ${count}`)
  }
  const payload = opts.payload ?? sequencePayload
  const batch = Math.max(1, opts.batch ?? 500)
  const timeoutMs = opts.timeoutMs ?? 60_000
  const started = Date.now()
  const deadline = started + timeoutMs
  const checkDeadline = (i: number): void => {
    if (Date.now() > deadline) {
      throw new Error(`publishSequence: timed out after ${timeoutMs}ms with ${i} of ${count} published on ${subject}`)
    }
  }

  const nc: NatsConnection = await connect({ servers: natsUrl, name: 'test-publisher', timeout: 5000 })
  try {
    const js = opts.jetstream === true ? jetstream(nc) : undefined
    for (let i = 0; i < count; i += batch) {
      const end = Math.min(count, i + batch)
      if (js !== undefined) {
        // Acks awaited a batch at a time: enough in flight to be fast, few enough to keep order
        // visible and memory bounded.
        const acks = []
        for (let j = i; j < end; j++) {
          await pace(opts.ratePerSec, started, j)
          acks.push(js.publish(subject, payload(j)))
        }
        await Promise.all(acks)
      } else {
        for (let j = i; j < end; j++) {
          await pace(opts.ratePerSec, started, j)
          nc.publish(subject, payload(j))
        }
        // A round trip to the server: everything before it has been received and routed.
        await nc.flush()
      }
      checkDeadline(end)
    }
  } finally {
    await nc.close()
  }
  return { published: count, elapsedMs: Date.now() - started }
}

/** Waits until message `i` is due at `ratePerSec`; the schedule is absolute, so delays do not add up. */
async function pace(ratePerSec: number | undefined, started: number, i: number): Promise<void> {
  if (ratePerSec === undefined || ratePerSec <= 0) return
  const dueAt = started + (i * 1000) / ratePerSec
  const wait = dueAt - Date.now()
  if (wait > 0) await delay(wait)
}

/**
 * Publishes one message on a subject given as raw bytes, over the NATS protocol by hand: the
 * official client only takes subjects as strings, which it encodes as valid UTF-8, and a test of
 * what the bridge does with a subject that is not (issue 10) needs the bytes as a broken publisher
 * sends them. Resolves once the server has answered the PING after it (so it has routed it).
 */
export async function publishRawSubject(natsUrl: string, subject: Buffer, payload: Buffer, timeoutMs = 5000): Promise<void> {
  const { hostname, port } = new URL(natsUrl)
  const socket = createConnection({ host: hostname, port: Number(port) })
  try {
    await withDeadline(
      new Promise<void>((resolve, reject) => {
        let seen = ''
        socket.on('error', reject)
        socket.on('data', (chunk: Buffer) => {
          seen += chunk.toString('latin1')
          if (seen.includes('PONG\r\n')) resolve()
          if (seen.includes('-ERR')) reject(new Error(`nats-server refused the raw publish: ${seen}`))
        })
        socket.write('CONNECT {"verbose":false,"pedantic":false,"name":"raw-publisher"}\r\n')
        socket.write(Buffer.concat([Buffer.from('PUB '), subject, Buffer.from(` ${payload.length}\r\n`), payload, Buffer.from('\r\nPING\r\n')]))
      }),
      timeoutMs,
      'the raw publish to be routed',
    )
  } finally {
    socket.destroy()
  }
}
