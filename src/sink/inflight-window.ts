/**
 * A monotonic clock in milliseconds (performance.now): round trips must not jump with the wall
 * clock, so the window takes this rather than src/clock.ts's `now()`. Injected so tests drive it.
 */
export type MonotonicNow = () => number

/**
 * How busy this process's event loop has been since the previous call, 0–1 (Node's event-loop
 * utilisation); injected so tests can play a busy process.
 */
export type LoopBusy = () => number

/** Node's event-loop utilisation since the previous call. */
export function eventLoopBusy(): LoopBusy {
  let last = performance.eventLoopUtilization()
  return () => {
    const now = performance.eventLoopUtilization()
    const delta = performance.eventLoopUtilization(now, last)
    last = now
    return delta.utilization
  }
}

/**
 * A round during which our own event loop was this busy measured our CPU, not the link: a burst
 * being taken in from NATS delays the acks we read as much as a queue on the link would.
 */
const BUSY_LOOP = 0.9

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

export type WindowPhase = 'fixed' | 'growing' | 'steady' | 'draining'

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
 * Window of a new connection in `auto` mode: 800 kB of 100-byte messages (2 MB at most: a slot is
 * {@link BYTES_PER_SLOT} bytes), enough to fill a satellite link's first round trips; a slower link
 * brings it down within a few rounds.
 */
export const INITIAL_LIMIT = 8192
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
/** Rounds in a row with a heavy queue before a steady window is cut. */
const SHRINK_ROUNDS = 3
/** The window settles at this multiple of the bandwidth-delay product: room for jitter, one round trip of queue at most. */
const HEADROOM = 2
/** Limited rounds whose best rate is remembered. */
const RATE_ROUNDS = 10
/**
 * How often the shortest round trip is measured again, by halving the window for about a round
 * trip (BBR's ProbeRTT): the window's own queue hides it otherwise, and a path whose round trip grew
 * would keep the old figure. Half the window is still about the bandwidth-delay product, so the link
 * stays nearly full meanwhile.
 */
export const MIN_RTT_REFRESH_MS = 20_000
/**
 * A queue is building when the smoothed round trip exceeds twice the shortest by this much: the
 * window already holds more than the link carries, and growing stops at once (HyStart's idea). The
 * margin keeps the milliseconds the two ends take to turn a batch around from counting as a queue.
 */
const QUEUE_MARGIN_MS = 10
/**
 * Memory the messages in flight may take, whatever their count: each costs about
 * {@link MESSAGE_MEMORY_BYTES} of objects (ours and mqtt.js's, measured with a heap snapshot) plus
 * two copies of its topic and payload (the store's, and the one mqtt.js keeps until the ack). A
 * gateway's memory is small, and this bounds the service's RSS however large the window grows.
 */
export const MAX_INFLIGHT_MEMORY = 48 * 1024 * 1024
export const MESSAGE_MEMORY_BYTES = 2048

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
 * the way TCP's slow start and BBR learn a path:
 *
 * - **growing**: each connection starts at {@link INITIAL_LIMIT}. While the window is what limits
 *   the sender, it doubles every measurement round (one round trip, at least {@link MIN_ROUND_MS})
 *   as long as the ack rate keeps rising by a quarter, and stops as soon as the rate stops rising or
 *   the round trip says a queue builds (HyStart's idea: a slow link is not flooded for long).
 * - **steady**: twice the bandwidth-delay product (best ack rate of the last rounds × shortest round
 *   trip), never below {@link FLOOR_LIMIT}: the link stays full through jitter, and about one round
 *   trip of data at most waits in local buffers, ahead of an alarm. When the sender is limited and
 *   the round trip shows no queue at all, the link has room: it grows again.
 * - **draining**: every {@link MIN_RTT_REFRESH_MS}, half the window for about a round trip, to
 *   measure the shortest round trip again without our own queue in it.
 *
 * A reconnect starts again from the initial window: after an outage the path may be another one,
 * and a backlog must not flood it (paho.mqtt.golang #520). Message slots stand for
 * {@link BYTES_PER_SLOT} bytes each, so that the window also bounds bytes.
 */
export class InflightWindow {
  readonly #now: MonotonicNow
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
  #stalls = 0
  /** Consecutive limited rounds that ended with a heavy queue. */
  #heavyRounds = 0
  #rates: number[] = []
  #minRttMs: number | undefined
  /** When the shortest round trip was last measured afresh (a connection's start, or a drain). */
  #minRttAt = 0
  /** Draining: messages sent from this number on show the round trip without our queue. */
  #drainStartNo = 0
  #drainMinRttMs: number | undefined
  #srttMs: number | undefined
  #lastRate: number | undefined

  readonly #busy: LoopBusy

  constructor(now: MonotonicNow, busy: LoopBusy = () => 0) {
    this.#now = now
    this.#busy = busy
    this.#round = this.#newRound(now())
  }

  /** A new connection: new bounds, and (auto) the initial window. Messages in flight stay counted. */
  reset(bounds: WindowBounds): void {
    this.#bounds = { cap: Math.max(1, Math.floor(bounds.cap)), fixed: bounds.fixed }
    this.#phase = bounds.fixed ? 'fixed' : 'growing'
    this.#limit = bounds.fixed ? this.#bounds.cap : Math.min(this.#bounds.cap, INITIAL_LIMIT)
    this.#bestRate = 0
    this.#stalls = 0
    this.#heavyRounds = 0
    this.#rates = []
    this.#minRttMs = undefined
    this.#minRttAt = this.#now()
    this.#srttMs = undefined
    this.#lastRate = undefined
    this.#connectionStartNo = this.#nextSendNo
    this.#round = this.#newRound(this.#now())
  }

  /** How many more messages may be sent now. */
  room(): number {
    const limit = this.limit
    if (this.#inFlight * MESSAGE_MEMORY_BYTES + 2 * this.#inFlightBytes >= MAX_INFLIGHT_MEMORY) return 0
    if (!this.#bounds.fixed && this.#inFlightBytes >= limit * BYTES_PER_SLOT) return 0
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
    if (this.#minRttMs === undefined || rtt < this.#minRttMs) this.#minRttMs = rtt
    if (this.#phase === 'draining' && sendNo >= this.#drainStartNo) this.#drainMinRttMs = Math.min(this.#drainMinRttMs ?? rtt, rtt)
    const round = this.#round
    if (now - round.startAt < MIN_ROUND_MS) return
    if (sendNo >= round.startNo) this.#endRound(now)
    else if ((this.#phase === 'growing' || this.#phase === 'steady') && round.limited && this.#heavyQueue()) {
      // On a slow link a round lasts as long as the queue it holds: act without waiting for it.
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
    this.#round = this.#newRound(now)
    if (this.#phase === 'fixed') return
    // The process itself was the bottleneck: the round says nothing of the link, hold.
    if (this.#busy() >= BUSY_LOOP) return
    // An idle sender's rate says nothing of the path; a limited one's says what the window allows.
    if (round.limited) {
      this.#rates.push(rate)
      if (this.#rates.length > RATE_ROUNDS) this.#rates.shift()
    }
    switch (this.#phase) {
      case 'draining':
        if (this.#drainMinRttMs === undefined) return // no message sent since the drain began is back yet
        this.#minRttMs = this.#drainMinRttMs
        this.#minRttAt = now
        this.#phase = 'steady'
        this.#settle()
        return
      case 'steady':
        if (now - this.#minRttAt >= MIN_RTT_REFRESH_MS) {
          this.#phase = 'draining'
          this.#drainStartNo = this.#nextSendNo
          this.#drainMinRttMs = undefined
          this.#setLimit(Math.max(FLOOR_LIMIT / 2, this.#limit / 2))
          return
        }
        if (!round.limited) return
        this.#heavyRounds = this.#heavyQueue() ? this.#heavyRounds + 1 : 0
        if (this.#noQueue()) {
          // Limited, and nothing waits anywhere: the link has room for more.
          this.#phase = 'growing'
          this.#bestRate = rate
          this.#stalls = 0
          this.#setLimit(this.#limit * 2)
        } else if (this.#heavyRounds >= SHRINK_ROUNDS) {
          // Rounds on end with several round trips of queue: the window holds far more than the
          // link carries. Come down towards twice its bandwidth-delay product (the best recent
          // rate keeps a queue of the machine's own making from taking it lower than that).
          this.#heavyRounds = 0
          const target = this.#target()
          if (target < this.#limit) this.#setLimit(Math.max(target, this.#limit / 2))
        }
        return
      case 'growing': {
        if (!round.limited) return
        // The first round of a connection has no acks of earlier sends: nothing measured yet.
        if (round.startNo === this.#connectionStartNo) return
        const heavy = this.#heavyQueue()
        this.#heavyRounds = heavy ? this.#heavyRounds + 1 : 0
        const previous = this.#bestRate
        const progress = rate >= previous * PROGRESS
        if (progress) {
          this.#bestRate = rate
          this.#stalls = 0
        } else this.#stalls++
        if (previous === 0 && heavy) {
          // The first measure already shows several round trips of queue: a slow link; settle now.
          this.#phase = 'steady'
          this.#setLimit(Math.max(this.#target(), this.#limit / 2))
          return
        }
        if (this.#stalls >= STALL_ROUNDS || this.#heavyRounds >= STALL_ROUNDS) {
          // The rate stopped rising, or a queue stays: hold here; steady rounds take it down if
          // the queue stays heavy.
          this.#phase = 'steady'
          return
        }
        // The rate grew with the window: whatever the round trip says, the queue is not the link's.
        const scaling = previous > 0 && rate >= previous * 1.8
        if (progress && (scaling || !this.#queueing())) this.#setLimit(this.#limit * (scaling ? 4 : 2))
      }
    }
  }

  /** Several round trips of queue: far more in flight than the link carries. */
  #heavyQueue(): boolean {
    return this.#srttMs !== undefined && this.#minRttMs !== undefined && this.#srttMs > 4 * this.#minRttMs + QUEUE_MARGIN_MS
  }

  /** The round trip is more than twice the shortest: the window holds more than the link carries. */
  #queueing(): boolean {
    return this.#srttMs !== undefined && this.#minRttMs !== undefined && this.#srttMs > 2 * this.#minRttMs + QUEUE_MARGIN_MS
  }

  #noQueue(): boolean {
    return this.#srttMs !== undefined && this.#minRttMs !== undefined && this.#srttMs < 1.25 * this.#minRttMs + QUEUE_MARGIN_MS
  }

  /** Twice the bandwidth-delay product (best recent ack rate × shortest round trip), at least the floor. */
  #target(): number {
    const bdp = this.#rates.length === 0 ? 0 : (Math.max(...this.#rates) * (this.#minRttMs ?? 0)) / 1000
    return Math.max(FLOOR_LIMIT, bdp * HEADROOM)
  }

  #settle(): void {
    this.#setLimit(this.#target())
  }

  #setLimit(limit: number): void {
    this.#limit = Math.max(1, Math.min(this.#bounds.cap, Math.round(limit)))
    this.#round.limit = this.#limit
  }

  #newRound(now: number): Round {
    return { startNo: this.#nextSendNo, startAt: now, delivered0: this.#delivered, limited: false, limit: this.#limit }
  }
}
