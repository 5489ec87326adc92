import type { DeadLetterError } from '../errors.js'
import type { StoredMessage } from '../store/message.js'
import type { MessageStore } from '../store/store.js'

/** Told when a message is taken out of its queue into the dead-letter table. */
export interface DeadLetterObserver {
  deadLettered?(routeId: string, message: StoredMessage, err: DeadLetterError): void
}

/**
 * Takes a claimed message out of its queue into the store's dead-letter table (it would block the
 * queue), and tells the observer. The message counts as handled: a JetStream message held for it
 * (memory store) is acknowledged, or JetStream would deliver the same poison again and again.
 */
export function deadLetter(store: MessageStore, observer: DeadLetterObserver, routeId: string, message: StoredMessage, err: DeadLetterError): void {
  store.deadLetter(routeId, message, err.reason, err.detail)
  message.onDelivered?.()
  observer.deadLettered?.(routeId, message, err)
}
