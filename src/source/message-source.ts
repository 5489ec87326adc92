import type { Lifecycle } from '../lifecycle.js'
import type { Settled } from '../store/message.js'

/** What became of a message handed to a route. */
export type HandleResult = 'stored' | 'invalid' | 'refused' | 'ignored'

/**
 * Where a source hands each NATS message: the route (src/route/route.ts), which maps, transforms,
 * checks and appends it to the store.
 */
export interface MessageTarget {
  /**
   * One NATS message: the subject it came on and its payload (valid only during the call).
   * `onSettled`, if given, is told once the broker has it (src/delivery/ack-path.ts) or the store
   * dropped it (overflow, `max_age`).
   */
  handle(subject: string, data: Uint8Array, onSettled?: Settled): HandleResult
  /** JetStream delivered a message again (after a crash or an ack that did not arrive). */
  redelivered(): void
}

/**
 * Something that feeds one route with messages from NATS: a core subscription or a JetStream
 * consumer. `start()` subscribes; `stop()` takes no new messages and acknowledges what is stored;
 * `close()` lets go at once (JetStream delivers again what was not acknowledged).
 */
export type MessageSource = Lifecycle
