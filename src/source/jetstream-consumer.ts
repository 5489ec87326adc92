import { AckPolicy, DeliverPolicy, JetStreamApiError } from '@nats-io/jetstream'
import type { JetStreamManager } from '@nats-io/jetstream'
import { nanos } from '@nats-io/transport-node'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'

/** Messages pulled per request. */
export const PULL_BATCH = 1000

/** How long JetStream waits for an ack before it delivers a message again, and how many may wait. */
export interface AckSettings {
  ackWaitMs: number
  maxAckPending: number
}

/**
 * File store: a message is acked once committed, so the ack wait only has to outlast a group
 * commit; short, so that what an instance that died had pulled moves on quickly.
 */
export const FILE_STORE_ACKS: AckSettings = { ackWaitMs: 10_000, maxAckPending: PULL_BATCH * 10 }

/**
 * Memory store: a message is acked once the broker has it, possibly after a long outage, so it is
 * held with in-progress acks every {@link MEMORY_REFRESH_AFTER_MS} (`HeldMessages`). The ack wait is
 * what a `kill -9` costs: what the dead process held is redelivered at most this long after its
 * death. `maxAckPending` bounds what one durable holds in RAM, and the in-progress traffic.
 */
export const MEMORY_STORE_ACKS: AckSettings = { ackWaitMs: 20_000, maxAckPending: 20_000 }
/** Half the ack wait: a tick or an in-progress ack may be ~10 s late before anything is redelivered. */
export const MEMORY_REFRESH_AFTER_MS = 10_000

export interface ConsumerTarget {
  stream: string
  durable: string
  /** The route's subscription subject, the consumer's filter. */
  subject: string
}

/**
 * Replicas of a stream the service creates on a NATS cluster: 3 survives the loss of any one node
 * (issue 10: a message NATS acknowledged to its publisher must not die with the node that had it).
 * A smaller cluster refuses 3; the next lower count is tried then.
 */
const CLUSTER_REPLICAS = [3, 2, 1] as const
/** JetStream API errors that mean "not that many replicas here": insufficient resources, not clustered. */
const REPLICAS_REFUSED = new Set([10023, 10074])

/**
 * Creates the stream if missing (on a cluster, `clustered`, with up to 3 replicas), or extends its
 * subjects to cover the route's subject. An existing stream keeps its replicas: it is the operator's.
 */
export async function ensureStream(jsm: JetStreamManager, target: ConsumerTarget, clustered: boolean, log: Logger): Promise<void> {
  const { stream, subject } = target
  try {
    const info = await jsm.streams.info(stream)
    const subjects = info.config.subjects ?? []
    if (!subjects.some((s) => covers(s, subject))) {
      await jsm.streams.update(stream, { subjects: [...subjects, subject] })
      log.info({ stream, subject }, 'JetStream stream extended to the route subject')
    }
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err
    await createStream(jsm, target, clustered, log)
  }
}

async function createStream(jsm: JetStreamManager, target: ConsumerTarget, clustered: boolean, log: Logger): Promise<void> {
  const { stream, subject } = target
  for (const replicas of clustered ? CLUSTER_REPLICAS : ([1] as const)) {
    try {
      await jsm.streams.add({ name: stream, subjects: [subject], num_replicas: replicas })
      log.info({ stream, subject, replicas }, 'JetStream stream created')
      return
    } catch (err: unknown) {
      const refused = err instanceof JetStreamApiError && REPLICAS_REFUSED.has(err.code)
      if (!refused || replicas === 1) throw err
      log.info({ stream, replicas, err: describeError(err) }, 'JetStream refused this many replicas; trying fewer')
    }
  }
}

/**
 * Creates the durable pull consumer, or brings an existing one to `acks` (an older version, or an
 * instance with the other store type, may have created it with other values).
 */
export async function ensureConsumer(jsm: JetStreamManager, target: ConsumerTarget, acks: AckSettings, log: Logger): Promise<void> {
  const { stream, durable, subject } = target
  const ack_wait = nanos(acks.ackWaitMs)
  const max_ack_pending = acks.maxAckPending
  try {
    await jsm.consumers.info(stream, durable)
    await jsm.consumers.update(stream, durable, { ack_wait, max_ack_pending, filter_subject: subject })
  } catch (err: unknown) {
    if (!isNotFound(err)) throw err
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subject,
      ack_wait,
      max_ack_pending,
    })
    log.info({ stream, durable, subject }, 'JetStream consumer created')
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
