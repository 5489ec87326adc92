import type { Packet } from 'mqtt'
import type { Qos } from '../config/types.js'
import type { Clock, InflightWindow } from './inflight-window.js'
import { isRefusal } from './refusal.js'

/** A publish's place in the window, until its acknowledgement frees it. */
interface Flight {
  sendNo: number
  sentAt: number
  bytes: number
  /** Packet id (QoS 2 only, to find it on PUBREC). */
  id: number
  inWindow: boolean
}

/** What {@link Flights.start} gives the sink for one publish. */
export interface Tracked {
  /** The callback to hand mqtt.js: frees the window, then calls the dispatcher's `done`. */
  complete: (err?: Error) => void
  /** QoS 2: the packet id mqtt.js gave the publish, so that its PUBREC can be matched. */
  identified(id: number | null): void
}

/**
 * Every publish between the sink and its window: when it takes a place in the window, and when its
 * acknowledgement (or failure) frees it. QoS 0 publishes that wait for the socket to drain are kept
 * so that a closed connection can fail them (not written, so not delivered).
 */
export class Flights {
  readonly #window: InflightWindow
  readonly #qos: Qos
  readonly #now: Clock
  readonly #settled: () => void
  readonly #unwritten = new Set<(err?: Error) => void>()
  /** QoS 2 publishes by packet id, until PUBCOMP. */
  readonly #qos2 = new Map<number, Flight>()

  /** `settled` runs after each publish's outcome, before the dispatcher hears of it. */
  constructor(window: InflightWindow, qos: Qos, now: Clock, settled: () => void) {
    this.#window = window
    this.#qos = qos
    this.#now = now
    this.#settled = settled
  }

  start(bytes: number, done: (err?: Error) => void): Tracked {
    const flight: Flight = { sendNo: this.#window.sent(bytes), sentAt: this.#now(), bytes, id: 0, inWindow: true }
    let settled = false
    const complete = (err?: Error): void => {
      if (settled) return
      settled = true
      if (this.#qos === 0) this.#unwritten.delete(complete)
      else if (this.#qos === 2) this.#qos2.delete(flight.id)
      if (flight.inWindow) {
        flight.inWindow = false
        if (err !== undefined && !isRefusal(err)) this.#window.released(bytes)
        else this.#window.acked(flight.sendNo, flight.sentAt, bytes)
      }
      this.#settled()
      done(err)
    }
    if (this.#qos === 0) this.#unwritten.add(complete)
    return {
      complete,
      identified: (id) => {
        if (this.#qos !== 2 || settled || id === null) return
        flight.id = id
        this.#qos2.set(id, flight)
      },
    }
  }

  /**
   * QoS 2: the broker's PUBREC frees the message's place in the window. Our PUBREL goes out at once,
   * ahead of any later PUBLISH on the same stream, so a broker that reads in order has answered it
   * (and freed its own count, which Mosquitto's `max_inflight_messages` and MQTT 5's Receive
   * Maximum keep until PUBCOMP is sent) before it sees the next message: one window per round trip
   * instead of one per two. The message stays in the store until PUBCOMP.
   */
  received(packet: Packet): void {
    if (packet.cmd !== 'pubrec' || packet.messageId === undefined) return
    const flight = this.#qos2.get(packet.messageId)
    if (flight === undefined || !flight.inWindow) return
    const code = (packet as { reasonCode?: number }).reasonCode
    if (code !== undefined && code >= 0x80) return // a refusal: the publish callback reports it
    flight.inWindow = false
    this.#window.acked(flight.sendNo, flight.sentAt, flight.bytes)
  }

  /** The connection closed: QoS 0 publishes not yet written fail, to be sent again. */
  closed(): void {
    const unwritten = [...this.#unwritten]
    this.#unwritten.clear()
    for (const fail of unwritten) fail(new Error('MQTT connection closed before the message was written'))
  }
}
