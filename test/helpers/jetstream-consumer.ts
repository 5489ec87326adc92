import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'

/** What the server says of a durable consumer, as the JetStream fault tests read it. */
export interface ConsumerState {
  /** Messages of the stream delivered to the consumer at least once (highest stream seq delivered). */
  deliveredSeq: number
  /** Delivered and neither acked nor terminated: what some instance holds (or held and died). */
  ackPending: number
  /** Not delivered yet. */
  pending: number
  /** Delivered more than once and not acked yet. */
  redelivered: number
  /** Every message up to this stream seq is acked. */
  ackFloorSeq: number
  /** The consumer's ack wait, in ms. */
  ackWaitMs: number
}

/** Asks the server (JetStream manager API, on a connection of its own) for a consumer's state. */
export async function consumerState(natsUrl: string, stream: string, durable: string): Promise<ConsumerState> {
  const nc = await connect({ servers: natsUrl, name: 'test-consumer-state', timeout: 5000 })
  try {
    const info = await (await jetstreamManager(nc)).consumers.info(stream, durable)
    return {
      deliveredSeq: info.delivered.stream_seq,
      ackPending: info.num_ack_pending,
      pending: info.num_pending,
      redelivered: info.num_redelivered,
      ackFloorSeq: info.ack_floor.stream_seq,
      ackWaitMs: Math.round((info.config.ack_wait ?? 0) / 1e6),
    }
  } finally {
    await nc.close()
  }
}

/** The consumer's messages that no instance has acked (or terminated) yet: held, waiting or undelivered. */
export function unacked(state: ConsumerState): number {
  return state.ackPending + state.pending
}

/** In-progress acks (`+WPI`) seen on a consumer's ack subjects, from {@link watchProgressAcks}. */
export interface ProgressAckWatch {
  /** In-progress acks seen. */
  readonly count: number
  /** What they cost on the wire to NATS: `PUB <subject> 4\r\n+WPI\r\n` each. */
  readonly wireBytes: number
  /** Stream sequences that got at least one. */
  readonly seqs: ReadonlySet<number>
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

const WPI = '+WPI'

/**
 * Listens on `$JS.ACK.<stream>.<durable>.>`, where every client's acks to that consumer go, and
 * counts the in-progress acks. Resolves once the subscription is registered on the server.
 */
export async function watchProgressAcks(natsUrl: string, stream: string, durable: string): Promise<ProgressAckWatch> {
  const nc = await connect({ servers: natsUrl, name: 'test-progress-acks', timeout: 5000 })
  let count = 0
  let wireBytes = 0
  const seqs = new Set<number>()
  nc.subscribe(`$JS.ACK.${stream}.${durable}.>`, {
    callback: (err, msg) => {
      if (err !== null || msg.string() !== WPI) return
      count++
      wireBytes += `PUB ${msg.subject} ${WPI.length}\r\n${WPI}\r\n`.length
      // $JS.ACK.<stream>.<durable>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>; newer
      // servers put a domain and an account hash before the stream.
      const tokens = msg.subject.split('.')
      seqs.add(Number(tokens[tokens.length === 9 ? 5 : 7]))
    },
  })
  await nc.flush()
  const watch: ProgressAckWatch = {
    get count() {
      return count
    },
    get wireBytes() {
      return wireBytes
    },
    seqs,
    stop: () => nc.close(),
    [Symbol.asyncDispose]: () => watch.stop(),
  }
  return watch
}
