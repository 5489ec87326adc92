/** A message on its way to the broker, as the route made it. */
export interface NewMessage {
  /** MQTT topic, already mapped (src/route/topic-map.ts; docs/compatibility.md). */
  topic: string
  /** MQTT payload, already transformed; owned by the store once appended. */
  payload: Buffer
  /** When the service took it off NATS (ms since the epoch): for `max_age` and latency. */
  receivedAt: number
}

/** Delivery state of a stored message. */
export const enum MessageState {
  Queued = 0,
  InFlight = 1,
  Done = 2,
}

/** A message in a route's queue. `seq` grows by one per append, store-wide, and orders a route. */
export interface StoredMessage extends NewMessage {
  readonly seq: number
  /** Bytes this message counts against `max_bytes`. */
  readonly bytes: number
  state: MessageState
  /**
   * Told once what became of the message (memory store + JetStream: the JetStream ack waits for
   * the broker, since RAM is not a safe place, and a drop is final). Not persisted.
   */
  onSettled: Settled | undefined
}

/**
 * What became of a stored message, told to whoever handed it in: `delivered` when the broker has
 * it (or refused it, or it was dead-lettered: it is handled either way), `dropped` when the store
 * let it go by its overflow policy or `max_age`.
 */
export type Settled = (outcome: 'delivered' | 'dropped') => void

/** Fixed per-message overhead counted against `max_bytes`, on top of topic and payload. */
export const MESSAGE_OVERHEAD_BYTES = 64

export function messageBytes(topic: string, payload: Uint8Array): number {
  return topic.length + payload.length + MESSAGE_OVERHEAD_BYTES
}
