/**
 * Per-route counters, plain numbers on the hot path; metrics and the status page read them.
 * They live for the whole process (a reload keeps a route's counters when its nats_topic stays).
 */
export class RouteStats {
  received = 0
  published = 0
  invalid = 0
  droppedOverflow = 0
  droppedMaxAge = 0
  /** Refused because the disk under the file store is full. */
  droppedDiskFull = 0
  /** Refused by the broker (an MQTT 5 reason code ≥ 0x80). */
  rejected = 0
  /** JetStream messages delivered more than once (after a crash or a lost ack). */
  redelivered = 0
  lastInvalidAt = 0
}
