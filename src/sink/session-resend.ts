import type { Writable } from 'node:stream'
import type { Packet } from 'mqtt'
import mqttPacket from 'mqtt-packet'
import type { ResendGate } from './poison-watch.js'
import type { SessionStore } from './session-store.js'

/**
 * Resends the session's unacknowledged packets on a new connection, in their first-sent order and
 * with their packet ids: PUBLISH again with the DUP flag, PUBREL for QoS 2 messages the broker
 * already holds. At most `limit()` are outstanding at once (the new connection's window, which also
 * respects a Receive Maximum that shrank); each acknowledgement lets the next one go.
 *
 * The callbacks of these messages stay registered in mqtt.js across the reconnect, so their
 * acknowledgements complete the publishes as usual. Packets are written with mqtt-packet straight
 * to the connection's stream, as mqtt.js writes them itself.
 *
 * A {@link ResendGate} may hold the rest back while one suspect packet is on the wire alone
 * (issue 10: a message the broker drops the connection for).
 */
export class SessionResend {
  readonly #store: SessionStore
  readonly #limit: () => number
  readonly #gate: ResendGate | undefined
  #queue: Packet[] = []
  #next = 0
  #outstanding = 0
  #stream: Writable | undefined
  #protocolVersion: 4 | 5 = 4

  constructor(store: SessionStore, limit: () => number, gate?: ResendGate) {
    this.#store = store
    this.#limit = limit
    this.#gate = gate
  }

  /** Packets still waiting to be resent: while any wait, nothing new may be sent (order). */
  get pending(): number {
    return this.#queue.length - this.#next
  }

  /** Starts resending on a new connection; returns how many packets the session holds. */
  start(stream: Writable, protocolVersion: 4 | 5): number {
    this.#stream = stream
    this.#protocolVersion = protocolVersion
    this.#queue = this.#store.packets()
    this.#next = 0
    this.#outstanding = 0
    const count = this.#queue.length
    this.#pump()
    return count
  }

  /**
   * An acknowledgement arrived. While resends are pending, every message in flight is one of the
   * session's (nothing new is sent meanwhile), so it frees one resend.
   */
  acked(): void {
    if (this.#outstanding === 0) return
    this.#outstanding--
    this.#pump()
  }

  /** The connection closed: the rest is resent on the next one. */
  stop(): void {
    this.#stream = undefined
    this.#queue = []
    this.#next = 0
    this.#outstanding = 0
  }

  #pump(): void {
    const stream = this.#stream
    if (stream === undefined) return
    const limit = Math.max(1, this.#limit())
    const opts = { protocolVersion: this.#protocolVersion }
    while (this.#next < this.#queue.length && this.#outstanding < limit) {
      const packet = this.#queue[this.#next]!
      if (this.#gate?.holds(packet) === true) break // the next acknowledgement pumps again
      this.#next++
      // Acknowledged meanwhile (it went out before the close, its ack came after the reconnect).
      if (packet.messageId === undefined || !this.#store.has(packet.messageId)) continue
      this.#outstanding++
      this.#gate?.written(packet)
      mqttPacket.writeToStream(packet.cmd === 'publish' ? { ...packet, dup: true } : packet, stream, opts)
    }
    if (this.#next === this.#queue.length) {
      this.#queue = []
      this.#next = 0
    }
  }
}
