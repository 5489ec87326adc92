/** What became of a message handed to a route. */
export type HandleResult = 'stored' | 'invalid' | 'refused' | 'ignored'

/**
 * Receives one NATS message: the subject it came on and its payload (valid only during the call).
 * `onDelivered`, if given, is called once the broker has it.
 */
export type MessageHandler = (subject: string, data: Uint8Array, onDelivered?: () => void) => HandleResult

/** Something that feeds one route with messages from NATS. */
export interface RouteSource {
  start(): Promise<void>
  /** Stops taking new messages. */
  stop(): Promise<void>
}
