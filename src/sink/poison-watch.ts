import type { MqttClient, Packet } from 'mqtt'
import { DeadLetterError } from '../errors.js'
import { DEAD_LETTER_DROPS } from '../store/dead-letters.js'
import type { SessionStore } from './session-store.js'

/** What the session resend asks before writing each packet (see {@link PoisonWatch}). */
export interface ResendGate {
  /** True: `packet`, and what follows it, must wait for now. */
  holds(packet: Packet): boolean
  /** `packet` was written to the connection. */
  written(packet: Packet): void
}

/**
 * Finds the message the broker will not take and says so by dropping the connection (a topic it
 * refuses, a packet over its size limit): with QoS 1 and 2 it is sent again on every reconnect, at
 * the head of the window, and would stop every route for good (issue 10).
 *
 * The head of the window when a connection drops is a suspect, not a culprit: the broker may have
 * handled the messages before the culprit, and its acks be lost with the reset connection (seen with
 * Mosquitto: 1 ack of 10 arrives). So the next connection sends the suspect alone and holds the
 * rest of the session until it is acknowledged: one round trip more after a reconnect. If it is,
 * it was innocent and the rest follows. If the broker drops the connection again, soon after (within
 * a keep-alive: a silent link takes longer to be noticed), with the suspect alone on the wire,
 * that counts against it. At {@link DEAD_LETTER_DROPS} drops in a row it is dead-lettered:
 * taken out of the session and of the queue, so that the others go on.
 *
 * QoS 0 keeps no session: such a message is gone once written, and nothing waits behind it.
 */
export class PoisonWatch implements ResendGate {
  readonly #session: SessionStore
  readonly #keepAliveMs: () => number
  readonly #now: () => number
  #suspect: Packet | undefined
  #drops = 0
  /** When the suspect was written alone on the current connection. */
  #writtenAt: number | undefined

  constructor(session: SessionStore, keepAliveMs: () => number, now: () => number = Date.now) {
    this.#session = session
    this.#keepAliveMs = keepAliveMs
    this.#now = now
  }

  holds(packet: Packet): boolean {
    const suspect = this.#suspect
    return this.#writtenAt !== undefined && packet !== suspect && suspect?.messageId !== undefined && this.#session.peek(suspect.messageId) === suspect
  }

  written(packet: Packet): void {
    if (packet === this.#suspect) this.#writtenAt = this.#now()
  }

  /**
   * A connection closed; `connected`: it had reached CONNACK, so the session's head was written on
   * it. Returns the PUBLISH to dead-letter when this drop was the last straw.
   */
  closed(connected: boolean): Packet | undefined {
    const writtenAt = this.#writtenAt
    this.#writtenAt = undefined
    if (!connected) return undefined
    // PUBRELs of QoS 2 messages the broker already has cannot be at fault.
    const head = this.#session.packets().find((p) => p.cmd === 'publish')
    if (head !== this.#suspect) {
      this.#suspect = head
      this.#drops = head === undefined ? 0 : 1
      return undefined
    }
    if (writtenAt !== undefined && this.#now() - writtenAt < this.#keepAliveMs()) this.#drops++
    if (this.#drops < DEAD_LETTER_DROPS) return undefined
    this.#suspect = undefined
    this.#drops = 0
    return head
  }
}

/**
 * Takes a PUBLISH out of mqtt.js's session and fails its publish with a DeadLetterError, for the
 * dispatcher to dead-letter it. mqtt.js's removeOutgoingMessage would fail it with a plain
 * "Message removed", which the dispatcher would queue again: its callback is swapped first.
 */
export function giveUp(client: MqttClient, packet: Packet): void {
  const id = packet.messageId
  const pending = id === undefined ? undefined : client.outgoing[id]
  if (id === undefined || pending === undefined) return
  const callback = pending.cb
  pending.cb = () => undefined
  client.removeOutgoingMessage(id)
  callback(new DeadLetterError('repeated_disconnect', `the broker closed the connection ${DEAD_LETTER_DROPS} times in a row with this message unacknowledged at the head of the window`))
}
