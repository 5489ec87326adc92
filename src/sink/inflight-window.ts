/** A monotonic clock in milliseconds; injected so tests drive time by hand. */
export type Clock = () => number

/** What bounds the window on the current connection. */
export interface WindowBounds {
  /**
   * Most messages ever unacknowledged: the broker's Receive Maximum (MQTT 5), `max_inflight`, 20 at
   * QoS 2 over MQTT 3.1.1, and always what 16-bit packet ids allow.
   */
  cap: number
  /** `max_inflight = N`: the window is the cap, never grown or shrunk. */
  fixed: boolean
}

export type WindowPhase = 'fixed' | 'growing' | 'steady'

/** The window as /metrics and the status page show it. */
export interface WindowState {
  limit: number
  cap: number
  phase: WindowPhase
  inFlight: number
  inFlightBytes: number
  /** Smoothed round trip of the messages sent on this connection (publish → ack), ms. */
  rttMs: number | undefined
  /** Acks per second over the last measured round. */
  ackRatePerS: number | undefined
}

/** Window of a new connection in `auto` mode: 100 kB of 100-byte messages, safe on any uplink. */
export const INITIAL_LIMIT = 1000
/**
 * A measurement round lasts one round trip, and at least this long: on the loopback a round trip
 * is a fraction of a millisecond and its ack count is noise.
 */
export const MIN_ROUND_MS = 100
/** A round whose ack rate rose by this factor over the best so far says a bigger window pays. */
const PROGRESS = 1.25
/** Rounds without progress before the window stops growing. */
const STALL_ROUNDS = 2
/** The window settles at this multiple of the smallest window that reached the best rate. */
const HEADROOM = 2
/** While the link stays full, try a bigger window again this often: the path may have improved. */
export const PROBE_INTERVAL_MS = 30_000
/**
 * Bytes in flight at most, whatever the count: mqtt.js keeps a copy of each unacknowledged
 * publish, and the memory of a gateway is small.
 */
export const MAX_INFLIGHT_BYTES = 32 * 1024 * 1024

interface Round {
  /** The round ends with the ack of a message sent at or after this send number. */
  startNo: number
  startAt: number
  delivered0: number
  /** The sender had queued messages and no room during the round: its rate says what the window allows. */
  limited: boolean
  limit: number
}

/**
 * The connection's window of unacknowledged publishes, shared by every route.
 *
 * With a number (`max_inflight = N`) it is that number. In `auto` mode it is learned from the acks,
 * the way TCP's slow start and BBR's start-up learn a path: each connection starts at
 * {@link INITIAL_LIMIT}; while the window is what limits the sender, the window doubles every
 * measurement round (one round trip, at least {@link MIN_ROUND_MS}) as long as the ack rate keeps
 * rising by a quarter; when it stops rising, the window settles at twice the smallest window that
 * reached the best rate (so it keeps the link full through jitter, and no more than about one round
 * trip of data waits in local buffers). While the link stays full it probes upward every
 * {@link PROBE_INTERVAL_MS}. A reconnect starts again from the initial window: after an outage the
 * path may be another one, and a backlog must not flood it.
 */
export class InflightWindow {
  readonly #now: Clock
  #bounds: WindowBounds = { cap: INITIAL_LIMIT, fixed: false }
  #limit = INITIAL_LIMIT
  #phase: WindowPhase = 'growing'
  #inFlight = 0
  #inFlightBytes = 0
  #nextSendNo = 0
  /** Send number of the first message of the current connection: older ones say nothing of its path. */
  #connectionStartNo = 0
  #delivered = 0
  #round: Round
  #bestRate = 0
  #bestLimit = 0
  #stalls = 0
  #steadySince = 0
  #srttMs: number | undefined
  #lastRate: number | undefined

  constructor(now: Clock) {
    this.#now = now
    this.#round = this.#newRound(now())
  }

  /** A new connection: new bounds, and (auto) the initial window. Messages in flight stay counted. */
  reset(bounds: WindowBounds): void {
    this.#bounds = { cap: Math.max(1, Math.floor(bounds.cap)), fixed: bounds.fixed }
    this.#phase = bounds.fixed ? 'fixed' : 'growing'
    this.#limit = bounds.fixed ? this.#bounds.cap : Math.min(this.#bounds.cap, INITIAL_LIMIT)
    this.#bestRate = 0
    this.#bestLimit = 0
    this.#stalls = 0
    this.#srttMs = undefined
    this.#lastRate = undefined
    this.#connectionStartNo = this.#nextSendNo
    this.#round = this.#newRound(this.#now())
  }

  /** How many more messages may be sent now. */
  room(): number {
    if (this.#inFlightBytes >= MAX_INFLIGHT_BYTES) return 0
    return Math.max(0, Math.min(this.#limit, this.#bounds.cap) - this.#inFlight)
  }

  /** The sender has queued messages it cannot send for lack of room. */
  limited(): void {
    this.#round.limited = true
  }

  /** A message was handed to the connection; returns its send number for {@link acked}. */
  sent(bytes: number): number {
    this.#inFlight++
    this.#inFlightBytes += bytes
    return this.#nextSendNo++
  }

  /** A message sent as `sendNo` at `sentAt` was acknowledged. */
  acked(sendNo: number, sentAt: number, bytes: number): void {
    this.#inFlight--
    this.#inFlightBytes -= bytes
    this.#delivered++
    const now = this.#now()
    if (sendNo < this.#connectionStartNo) return // resent after a reconnect: its time spans the outage
    const rtt = now - sentAt
    this.#srttMs = this.#srttMs === undefined ? rtt : this.#srttMs + (rtt - this.#srttMs) / 8
    const round = this.#round
    if (sendNo >= round.startNo && now - round.startAt >= MIN_ROUND_MS) this.#endRound(now)
  }

  /** A message left the window without an ack (not written before the connection closed). */
  released(bytes: number): void {
    this.#inFlight--
    this.#inFlightBytes -= bytes
  }

  get limit(): number {
    return Math.min(this.#limit, this.#bounds.cap)
  }

  state(): WindowState {
    return {
      limit: this.limit,
      cap: this.#bounds.cap,
      phase: this.#phase,
      inFlight: this.#inFlight,
      inFlightBytes: this.#inFlightBytes,
      rttMs: this.#srttMs,
      ackRatePerS: this.#lastRate,
    }
  }

  #endRound(now: number): void {
    const round = this.#round
    const rate = ((this.#delivered - round.delivered0) * 1000) / (now - round.startAt)
    this.#lastRate = rate
    this.#round = this.#newRound(now)
    if (this.#phase === 'fixed' || !round.limited) return // an idle sender's rate says nothing of the path
    if (this.#phase === 'steady') {
      if (now - this.#steadySince < PROBE_INTERVAL_MS) return
      // Probe: grow again from here; without progress it settles back where it was.
      this.#phase = 'growing'
      this.#bestRate = rate
      this.#bestLimit = this.#limit / HEADROOM
      this.#stalls = 0
      this.#grow()
      return
    }
    if (rate >= this.#bestRate * PROGRESS) {
      this.#bestRate = rate
      this.#bestLimit = round.limit
      this.#stalls = 0
      this.#grow()
      return
    }
    if (++this.#stalls < STALL_ROUNDS) return
    this.#phase = 'steady'
    this.#steadySince = now
    this.#limit = Math.min(this.#bounds.cap, Math.max(1, Math.round(this.#bestLimit * HEADROOM)))
    this.#round.limit = this.#limit
  }

  #grow(): void {
    this.#limit = Math.min(this.#bounds.cap, this.#limit * 2)
    this.#round.limit = this.#limit
  }

  #newRound(now: number): Round {
    return { startNo: this.#nextSendNo, startAt: now, delivered0: this.#delivered, limited: false, limit: this.#limit }
  }
}
