import type { Writable } from 'node:stream'
import type { Packet } from 'mqtt'
import type { Qos } from '../config/types.js'
import type { MonotonicNow, InflightWindow } from './inflight-window.js'
import { isRefusal } from './refusal.js'

/**
 * One publish's place in the window, until its acknowledgement frees it; one object and one
 * closure per message in flight (thousands may be).
 */
export class Flight {
  readonly sendNo: number
  readonly sentAt: number
  readonly bytes: number
  /** Packet id (QoS 2 only, to find it on PUBREC). */
  id = 0
  inWindow = true
  settled = false
  readonly #flights: Flights
  readonly #done: (err?: Error) => void

  constructor(flights: Flights, sendNo: number, sentAt: number, bytes: number, done: (err?: Error) => void) {
    this.#flights = flights
    this.sendNo = sendNo
    this.sentAt = sentAt
    this.bytes = bytes
    this.#done = done
  }

  /** The callback to hand mqtt.js: frees the window, then tells the dispatcher. */
  readonly complete = (err?: Error): void => {
    if (this.settled) return
    this.settled = true
    this.#flights.completed(this, err)
    this.#done(err)
  }
}

/**
 * Every publish between the sink and its window: when it takes a place in the window, and when its
 * acknowledgement (or failure) frees it. QoS 0 publishes that wait for the socket to drain are kept
 * so that a closed connection can fail them (not written, so not delivered).
 */
export class Flights {
  readonly #window: InflightWindow
  readonly #qos: Qos
  readonly #now: MonotonicNow
  readonly #settled: () => void
  /** QoS 0 publishes handed to the socket while it needed to drain: not written yet, in order. */
  #unwritten: Flight[] = []
  #awaitingDrain = false
  /** QoS 2 publishes by packet id, until PUBCOMP. */
  readonly #qos2 = new Map<number, Flight>()

  /** `settled` runs after each publish's outcome, before the dispatcher hears of it. */
  constructor(window: InflightWindow, qos: Qos, now: MonotonicNow, settled: () => void) {
    this.#window = window
    this.#qos = qos
    this.#now = now
    this.#settled = settled
  }

  /** A publish is handed to mqtt.js: it takes a place in the window. */
  start(bytes: number, done: (err?: Error) => void): Flight {
    return new Flight(this, this.#window.sent(bytes), this.#now(), bytes, done)
  }

  /**
   * QoS 0: the publish was handed to the socket. It is written (delivered, for QoS 0) at once if the
   * socket's buffer is below its mark, else when the socket drains. mqtt.js would add one 'drain'
   * listener per such publish, and each drain would then cost O(n²) to remove them: one listener
   * here serves them all.
   */
  handed(flight: Flight, stream: Writable): void {
    if (!stream.writableNeedDrain && this.#unwritten.length === 0) {
      flight.complete()
      return
    }
    this.#unwritten.push(flight)
    if (this.#awaitingDrain) return
    this.#awaitingDrain = true
    stream.once('drain', () => {
      this.#awaitingDrain = false
      const written = this.#unwritten
      this.#unwritten = []
      for (const f of written) f.complete()
    })
  }

  /** QoS 2: the packet id mqtt.js gave the publish, so that its PUBREC can be matched. */
  identified(flight: Flight, id: number | null): void {
    if (this.#qos !== 2 || flight.settled || id === null) return
    flight.id = id
    this.#qos2.set(id, flight)
  }

  /** Called by {@link Flight.complete}: the publish's outcome frees its place if it still has one. */
  completed(flight: Flight, err: Error | undefined): void {
    if (this.#qos === 2) this.#qos2.delete(flight.id)
    if (flight.inWindow) {
      flight.inWindow = false
      if (err !== undefined && !isRefusal(err)) this.#window.released(flight.bytes)
      else this.#window.acked(flight.sendNo, flight.sentAt, flight.bytes)
    }
    this.#settled()
  }

  /**
   * QoS 2: the broker's PUBREC frees the message's place in the window. Our PUBREL goes out at once,
   * ahead of any later PUBLISH on the same stream, so a broker that reads in order has answered it
   * (and freed its own count, which Mosquitto's `max_inflight_messages` and MQTT 5's Receive
   * Maximum keep until PUBCOMP is sent) before it sees the next message: one window per round trip
   * instead of one per two. The message stays in the store until PUBCOMP. True if it freed a place.
   */
  received(packet: Packet): boolean {
    if (packet.cmd !== 'pubrec' || packet.messageId === undefined) return false
    const flight = this.#qos2.get(packet.messageId)
    if (flight === undefined || !flight.inWindow) return false
    const code = (packet as { reasonCode?: number }).reasonCode
    if (code !== undefined && code >= 0x80) return false // a refusal: the publish callback reports it
    flight.inWindow = false
    this.#window.acked(flight.sendNo, flight.sentAt, flight.bytes)
    return true
  }

  /** The connection closed: QoS 0 publishes not yet written fail, to be sent again. */
  closed(): void {
    const unwritten = this.#unwritten
    this.#unwritten = []
    this.#awaitingDrain = false // that socket's 'drain' will never come
    for (const flight of unwritten) flight.complete(new Error('MQTT connection closed before the message was written'))
  }
}
