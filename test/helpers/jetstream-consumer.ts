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
