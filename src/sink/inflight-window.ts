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
  /** Messages the window takes now. */
  limit: number
  cap: number
  phase: WindowPhase
  inFlight: number
  inFlightBytes: number
  /** Smoothed round trip of the messages sent on this connection (publish → ack), ms. */
  rttMs: number | undefined
  /** Shortest round trip seen on this connection: the path without queues, ms. */
  minRttMs: number | undefined
  /** Acks per second over the last measured round. */
  ackRatePerS: number | undefined
}

/**
 * Window of a new connection in `auto` mode: 400 kB of 100-byte messages (at most
 * {@link BYTES_PER_SLOT} bytes each), enough to fill most uplinks in the first round trip; a slower
 * one brings it down after a few rounds.
 */
export const INITIAL_LIMIT = 4096
/**
 * The window never settles below this: on the loopback or a LAN, a round trip is mostly the time
 * the two ends take to turn a batch around, and about a thousand messages keep them both busy.
 */
export const FLOOR_LIMIT = 1000
/** Each message slot of the window stands for this many bytes: larger messages get fewer slots. */
export const BYTES_PER_SLOT = 256
/**
 * A measurement round lasts one round trip, and at least this long: on the loopback a round trip
 * is a fraction of a millisecond and its ack count is noise.
 */
export const MIN_ROUND_MS = 100
/** A round whose ack rate rose by this factor over the best so far says a bigger window pays. */
const PROGRESS = 1.25
/** Rounds without progress before the window stops growing. */
const STALL_ROUNDS = 2
/** The window settles at this multiple of what fills the link: room for jitter, one round trip of queue at most. */
const HEADROOM = 2
/** Limited rounds whose best rate is remembered. */
const RATE_ROUNDS = 10
/**
 * A queue is building when the smoothed round trip exceeds twice the shortest by this much: the
 * window already holds more than the link carries, and growing stops at once (HyStart's idea). The
 * margin keeps the milliseconds the two ends take to turn a batch around from counting as a queue.
 */
const QUEUE_MARGIN_MS = 10
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
 * the way TCP's slow start and BBR's start-up learn a path. Each connection starts at
 * {@link INITIAL_LIMIT}. While the window is what limits the sender, it doubles every measurement
 * round (one round trip, at least {@link MIN_ROUND_MS}) as long as the ack rate keeps rising by a
 * quarter. Once it stops rising, the window settles at twice the link's bandwidth-delay product
 * (best recent ack rate × shortest round trip), but never above twice the smallest window that
 * reached that rate, nor below {@link FLOOR_LIMIT}: the link stays full through jitter, and about
 * one round trip of data at most waits in local buffers, ahead of an alarm. Growing also stops as
 * soon as the round trip says a queue builds (HyStart's idea), so a slow link is not flooded for
 * long. The window follows the link's rate, and while the link stays full it tries a bigger window
 * every {@link PROBE_INTERVAL_MS} (a path whose round trip grew is found that way). A reconnect starts again from the initial window: after an outage the
 * path may be another one, and a backlog must not flood it.
 *
 * Message slots stand for {@link BYTES_PER_SLOT} bytes each, so that the window also bounds bytes.
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
  /** The window during the round before the current one: what the current round's acks were sent under. */
  #sendersLimit = INITIAL_LIMIT
  #bestRate = 0
  #bestLimit = 0
  #stalls = 0
  #steadySince = 0
  #rates: number[] = []
  #minRttMs: number | undefined
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
    this.#sendersLimit = this.#limit
    this.#bestRate = 0
    this.#bestLimit = 0
    this.#stalls = 0
    this.#rates = []
    this.#minRttMs = undefined
    this.#srttMs = undefined
    this.#lastRate = undefined
    this.#connectionStartNo = this.#nextSendNo
    this.#round = this.#newRound(this.#now())
  }

  /** How many more messages may be sent now. */
  room(): number {
    const limit = this.limit
    const bytes = this.#bounds.fixed ? MAX_INFLIGHT_BYTES : Math.min(MAX_INFLIGHT_BYTES, limit * BYTES_PER_SLOT)
    if (this.#inFlightBytes >= bytes) return 0
    return Math.max(0, limit - this.#inFlight)
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
    if (sendNo < this.#connectionStartNo) return // resent after a reconnect: its time spans the outage
    const now = this.#now()
    const rtt = now - sentAt
    this.#srttMs = this.#srttMs === undefined ? rtt : this.#srttMs + (rtt - this.#srttMs) / 8
    // Never forgotten within a connection: the window's own queue would inflate a fresher one,
    // and the window with it. A path that got longer is found by the probes instead.
    if (this.#minRttMs === undefined || rtt < this.#minRttMs) this.#minRttMs = rtt
    const round = this.#round
    if (now - round.startAt < MIN_ROUND_MS) return
    if (sendNo >= round.startNo) this.#endRound(now)
    else if (this.#phase === 'growing' && round.limited && this.#srttMs > 2 * this.#minRttMs + QUEUE_MARGIN_MS) {
      // On a slow link a round lasts as long as the queue it holds: settle without waiting for it.
      this.#endRound(now)
    }
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
      minRttMs: this.#minRttMs,
      ackRatePerS: this.#lastRate,
    }
  }

  #endRound(now: number): void {
    const round = this.#round
    const rate = ((this.#delivered - round.delivered0) * 1000) / (now - round.startAt)
    this.#lastRate = rate
    // The acks of a round are mostly those of messages sent one round trip earlier, in the round
    // before: that round's window is what this rate says something about.
    const sendersLimit = this.#sendersLimit
    this.#sendersLimit = round.limit
    this.#round = this.#newRound(now)
    if (this.#phase === 'fixed' || !round.limited) return // an idle sender's rate says nothing of the path
    this.#rates.push(rate)
    if (this.#rates.length > RATE_ROUNDS) this.#rates.shift()
    if (this.#phase === 'steady') {
      if (now - this.#steadySince >= PROBE_INTERVAL_MS) {
        // Probe: grow again from here; without progress it settles back.
        this.#phase = 'growing'
        this.#bestRate = Math.max(...this.#rates)
        this.#bestLimit = this.#limit / HEADROOM
        this.#stalls = 0
        this.#setLimit(this.#limit * 2)
      } else {
        this.#settle()
      }
      return
    }
    const queueing = this.#srttMs !== undefined && this.#minRttMs !== undefined && this.#srttMs > 2 * this.#minRttMs + QUEUE_MARGIN_MS
    const progress = rate >= this.#bestRate * PROGRESS
    if (rate > this.#bestRate) {
      this.#bestRate = rate
      this.#bestLimit = sendersLimit
    }
    if (progress) {
      this.#stalls = 0
      if (!queueing) {
        this.#setLimit(this.#limit * 2)
        return
      }
    } else if (++this.#stalls < STALL_ROUNDS && !queueing) return
    this.#phase = 'steady'
    this.#steadySince = now
    this.#settle()
  }

  /** Twice the bandwidth-delay product, within [floor, twice the smallest window that reached the best rate]. */
  #settle(): void {
    const bdp = (Math.max(...this.#rates) * (this.#minRttMs ?? 0)) / 1000
    const ceiling = Math.max(FLOOR_LIMIT, this.#bestLimit * HEADROOM)
    this.#setLimit(Math.min(ceiling, Math.max(FLOOR_LIMIT, bdp * HEADROOM)))
  }

  #setLimit(limit: number): void {
    this.#limit = Math.max(1, Math.min(this.#bounds.cap, Math.round(limit)))
    this.#round.limit = this.#limit
  }

  #newRound(now: number): Round {
    return { startNo: this.#nextSendNo, startAt: now, delivered0: this.#delivered, limited: false, limit: this.#limit }
  }
}
