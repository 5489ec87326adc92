/**
 * Per-route counters, plain numbers on the hot path; metrics and the status page read them.
 * They live for the whole process (a reload keeps a route's counters when its nats_topic stays).
 */
export class RouteStats {
  received = 0
  published = 0
  /** Refused before it was queued: the transform failed (e.g. not a Mainflux message). */
  invalidTransform = 0
  /** Refused before it was queued: its subject makes a topic no broker takes (`+`, `#`, NUL…). */
  invalidTopic = 0
  /** Refused before it was queued: bigger than the broker takes (`max_message_bytes`, MQTT 5 CONNACK). */
  invalidTooLarge = 0
  droppedOverflow = 0
  droppedMaxAge = 0
  /** Refused because the disk under the file store is full. */
  droppedDiskFull = 0
  /** Dead letters discarded, oldest first, because the dead-letter table was full. */
  droppedDeadLetterFull = 0
  /** Refused by the broker (an MQTT 5 reason code ≥ 0x80). */
  rejected = 0
  /** Taken out of the queue into the dead-letter table, by reason (see DeadLetterReason). */
  deadLetteredTopic = 0
  deadLetteredTooLarge = 0
  deadLetteredRepeatedDisconnect = 0
  /** JetStream messages delivered more than once (after a crash or a lost ack). */
  redelivered = 0
  lastInvalidAt = 0

  /** Every message refused before it was queued, whatever the reason. */
  get invalid(): number {
    return this.invalidTransform + this.invalidTopic + this.invalidTooLarge
  }
}
