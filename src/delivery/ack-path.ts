import type { Clock } from '../clock.js'
import { DeadLetterError } from '../errors.js'
import { isRefusal } from '../sink/refusal.js'
import type { StoredMessage } from '../store/message.js'
import type { MessageStore } from '../store/store.js'

/** Told about each message's outcome; the service's counters (src/status/service-status.ts) turn these into numbers and logs. */
export interface DeliveryObserver {
  /** The broker has the message; `now` is Unix ms (for the NATS-to-broker latency). */
  delivered(routeId: string, message: StoredMessage, now: number): void
  /** The broker refused the message for good (MQTT 5 reason code); it is removed and counted. */
  rejected(routeId: string, message: StoredMessage, err: Error): void
  /** The message left its queue for the dead-letter table (issue 10). */
  deadLettered?(routeId: string, message: StoredMessage, err: DeadLetterError): void
}

/**
 * The ack path, written once: what happens to a message after the sink reports on its publish.
 *
 *   broker ack (MqttSink: QoS 0 written, PUBACK, PUBCOMP)
 *     → store.ack: the message leaves its route's queue (file store: deleted at the next group commit)
 *     → message.onSettled: a JetStream message held for the memory store is acked now
 *       (src/source/held-messages.ts); with the file store it was acked once stored
 *     → observer.delivered: counters and the latency histogram
 *
 * A refusal (MQTT 5 reason code ≥ 0x80) and a dead letter leave the queue the same way, since
 * sending them again would never work. Any other error (QoS 0 on a closed socket) puts the message
 * back at its place: it is sent again, in order, once the connection is back.
 */
export class AckPath {
  readonly #store: MessageStore
  readonly #observer: DeliveryObserver
  readonly #clock: Clock

  constructor(store: MessageStore, observer: DeliveryObserver, clock: Clock) {
    this.#store = store
    this.#observer = observer
    this.#clock = clock
  }

  /**
   * Settles one publish of the route; `err` is what the sink reported, if anything. Returns true
   * when the broker answered (an ack or a refusal): /health's "in flight without an ack" restarts.
   */
  settle(routeId: string, message: StoredMessage, err: Error | undefined): boolean {
    if (err === undefined) {
      this.#store.ack(routeId, message)
      message.onSettled?.('delivered')
      this.#observer.delivered(routeId, message, this.#clock.now())
      return true
    }
    if (isRefusal(err)) {
      this.#store.ack(routeId, message)
      message.onSettled?.('delivered')
      this.#observer.rejected(routeId, message, err)
      return true
    }
    if (err instanceof DeadLetterError) {
      // The sink gave up on it (the broker drops the connection whenever it is sent).
      this.deadLetter(routeId, message, err)
      return false
    }
    // Not sent (QoS 0 on a closed connection): back to its place, sent again on reconnect.
    this.#store.release(routeId, message)
    return false
  }

  /**
   * Takes a claimed message out of its queue into the store's dead-letter table (it would block the
   * queue). The message counts as handled: a JetStream message held for it (memory store) is
   * acknowledged, or JetStream would deliver the same poison again and again.
   */
  deadLetter(routeId: string, message: StoredMessage, err: DeadLetterError): void {
    this.#store.deadLetter(routeId, message, err.reason, err.detail)
    message.onSettled?.('delivered')
    this.#observer.deadLettered?.(routeId, message, err)
  }
}
