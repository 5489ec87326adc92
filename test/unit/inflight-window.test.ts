import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FLOOR_LIMIT, INITIAL_LIMIT, InflightWindow, MAX_INFLIGHT_MEMORY, MESSAGE_MEMORY_BYTES, MIN_RTT_REFRESH_MS } from '../../src/sink/inflight-window.js'

/** A hand-driven clock. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0
  return { now: () => t, advance: (ms) => (t += ms) }
}

interface LinkModel {
  /** Round trip without queueing, ms. */
  rttMs: number
  /** Acks per second the path (or the broker, or the CPU) can give at most. */
  capacityPerS: number
  /** Messages on the way, kept from one {@link simulate} call to the next. */
  pending?: Array<{ no: number; sentAt: number; ackAt: number }>
  lastAckAt?: number
}

/**
 * Runs a sender with an endless backlog through the window over a modelled link for `seconds`, one
 * millisecond a step: each message is acked one round trip after it was sent, and no sooner than
 * the path's capacity allows after the previous ack. Returns the acks per second of the last
 * second and the window then.
 */
function simulate(win: InflightWindow, clock: ReturnType<typeof fakeClock>, link: LinkModel, seconds: number, backlog = true): { ratePerS: number; limit: number; peak: number } {
  const pending = (link.pending ??= [])
  let head = 0 // a read index: shift() on a queue of thousands would make the run quadratic
  let acksLastSecond = 0
  let peak = 0
  const end = seconds * 1000
  for (let step = 0; step < end; step++) {
    clock.advance(1)
    const now = clock.now()
    while (head < pending.length && pending[head]!.ackAt <= now) {
      const m = pending[head++]!
      win.acked(m.no, m.sentAt, 100)
      if (step >= end - 1000) acksLastSecond++
    }
    if (head > 4096 && head * 2 > pending.length) {
      pending.splice(0, head)
      head = 0
    }
    const room = win.room()
    const toSend = backlog ? room : Math.min(room, 1)
    for (let i = 0; i < toSend; i++) {
      const no = win.sent(100)
      link.lastAckAt = Math.max(now + link.rttMs, (link.lastAckAt ?? 0) + 1000 / link.capacityPerS)
      pending.push({ no, sentAt: now, ackAt: link.lastAckAt })
    }
    if (backlog) win.limited()
    peak = Math.max(peak, win.limit)
  }
  pending.splice(0, head)
  return { ratePerS: acksLastSecond, limit: win.limit, peak }
}

/**
 * A burst of `count` messages queued at once on an idle connection, sent as the window allows over
 * the modelled link: milliseconds until the last one is acked.
 */
function burst(win: InflightWindow, clock: ReturnType<typeof fakeClock>, link: LinkModel, count: number): number {
  const pending: Array<{ no: number; sentAt: number; ackAt: number }> = []
  let head = 0
  let left = count
  let acked = 0
  const start = clock.now()
  while (acked < count && clock.now() - start < 120_000) {
    clock.advance(1)
    const now = clock.now()
    while (head < pending.length && pending[head]!.ackAt <= now) {
      const m = pending[head++]!
      win.acked(m.no, m.sentAt, 100)
      acked++
    }
    const toSend = Math.min(win.room(), left)
    for (let i = 0; i < toSend; i++) {
      const no = win.sent(100)
      link.lastAckAt = Math.max(now + link.rttMs, (link.lastAckAt ?? 0) + 1000 / link.capacityPerS)
      pending.push({ no, sentAt: now, ackAt: link.lastAckAt })
    }
    left -= toSend
    if (left > 0) win.limited()
  }
  return clock.now() - start
}

describe('in-flight window', () => {
  it('is the number given with max_inflight, whatever the link does', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 50, fixed: true })
    const r = simulate(win, clock, { rttMs: 100, capacityPerS: 100_000 }, 3)
    assert.equal(r.peak, 50)
    assert.equal(win.state().phase, 'fixed')
    assert.ok(Math.abs(r.ratePerS - 500) <= 10, `50 per 100 ms round trip is 500/s, got ${r.ratePerS}`)
  })

  it('starts a connection at the initial window, or the cap when that is smaller', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: false })
    assert.equal(win.room(), INITIAL_LIMIT)
    win.reset({ cap: 20, fixed: false })
    assert.equal(win.room(), 20)
  })

  for (const link of [
    { rttMs: 600, capacityPerS: 9000 },
    { rttMs: 100, capacityPerS: 10_000 },
    { rttMs: 20, capacityPerS: 20_000 },
  ]) {
    it(`grows until a ${link.rttMs} ms link carrying ${link.capacityPerS} msg/s is full, and no further than about twice what fills it`, () => {
      const clock = fakeClock()
      const win = new InflightWindow(clock.now)
      win.reset({ cap: 65_535, fixed: false })
      const r = simulate(win, clock, link, 15)
      const bdp = (link.capacityPerS * link.rttMs) / 1000
      assert.ok(r.ratePerS >= 0.97 * link.capacityPerS, `${r.ratePerS} acks/s of ${link.capacityPerS}`)
      assert.ok(r.limit >= bdp, `window ${r.limit} below the bandwidth-delay product ${bdp}`)
      assert.ok(r.limit <= Math.max(INITIAL_LIMIT * 2, 4 * bdp), `window ${r.limit} far beyond the bandwidth-delay product ${bdp}`)
      assert.equal(win.state().phase, 'steady')
    })
  }

  it('comes down to its floor within seconds on a link slower than the initial window', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: false })
    // 200 msg/s at 600 ms: the initial window alone is 40 s of queue.
    simulate(win, clock, { rttMs: 600, capacityPerS: 200 }, 5)
    assert.equal(win.limit, FLOOR_LIMIT)
    assert.equal(win.state().phase, 'steady')
  })

  it('holds the window while the process itself is the bottleneck (a burst being taken in)', () => {
    const clock = fakeClock()
    let busy = 1
    const win = new InflightWindow(clock.now, () => busy)
    win.reset({ cap: 65_535, fixed: false })
    // Acks come late because our own event loop is busy: neither a cut nor a growth is due.
    const link: LinkModel = { rttMs: 600, capacityPerS: 200 }
    simulate(win, clock, link, 5)
    assert.equal(win.limit, INITIAL_LIMIT)
    busy = 0
    simulate(win, clock, link, 5)
    assert.ok(win.limit < INITIAL_LIMIT, `window ${win.limit} once the process was idle again`)
  })

  it('reaches the rate of a 600 ms link within a few round trips', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: false })
    const r = simulate(win, clock, { rttMs: 600, capacityPerS: 9000 }, 4)
    assert.ok(r.ratePerS >= 0.9 * 9000, `${r.ratePerS} acks/s after 4 s`)
  })

  // Measured, not a goal: the window grows once per round, from 8,192, so a burst over a long
  // round trip pays its first round trips (81 % of an unbounded window here). Growing with every
  // ack made this 92 % on the model but let a QoS 2 window outgrow what Mosquitto handles well
  // (bench/results.md, closing note): a change here must pass both.
  it('carries a burst over a 600 ms link at no less than 80 % of what an unbounded window would', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: false })
    clock.advance(5000) // connected, and idle, well before the burst
    const link: LinkModel = { rttMs: 600, capacityPerS: 32_000 }
    const ms = burst(win, clock, link, 100_000)
    // With no window at all: one round trip, plus the time the path takes to carry them.
    const unbounded = 600 + (100_000 * 1000) / 32_000
    assert.ok(ms <= 1.25 * unbounded, `${ms} ms against ${Math.round(unbounded)} ms unbounded`)
  })

  it('never exceeds the cap (the broker\'s Receive Maximum)', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 1500, fixed: false })
    const r = simulate(win, clock, { rttMs: 600, capacityPerS: 50_000 }, 10)
    assert.equal(r.peak, 1500)
  })

  it('does not grow while the sender has less to send than the window takes', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: false })
    const r = simulate(win, clock, { rttMs: 100, capacityPerS: 100_000 }, 5, false)
    assert.equal(r.peak, INITIAL_LIMIT)
  })

  it('starts again from the initial window on a new connection, keeping the messages in flight counted', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: false })
    simulate(win, clock, { rttMs: 600, capacityPerS: 30_000 }, 10)
    assert.ok(win.limit > INITIAL_LIMIT)
    // The messages of that link stay in flight: the connection that carried them is gone.
    const before = win.state().inFlight
    const sendNo = win.sent(100)
    win.reset({ cap: 65_535, fixed: false })
    assert.equal(win.limit, INITIAL_LIMIT)
    assert.equal(win.state().inFlight, before + 1)
    // Its round trip spans the outage: it must not count as a sample of the new path.
    clock.advance(30_000)
    win.acked(sendNo, 0, 100)
    assert.equal(win.state().rttMs, undefined)
  })

  it('holds back once the messages in flight would take its memory budget, whatever the count', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: true })
    const big = 1024 * 1024
    let sent = 0
    while (win.room() > 0 && sent < 1000) {
      win.sent(big)
      sent++
    }
    assert.equal(sent, Math.ceil(MAX_INFLIGHT_MEMORY / (2 * big + MESSAGE_MEMORY_BYTES)))
    win.released(big)
    assert.ok(win.room() > 0)
    // Small messages: the count is what the budget bounds.
    const small = new InflightWindow(clock.now)
    small.reset({ cap: 65_535, fixed: true })
    let n = 0
    while (small.room() > 0 && n < 70_000) {
      small.sent(100)
      n++
    }
    assert.equal(n, Math.ceil(MAX_INFLIGHT_MEMORY / (MESSAGE_MEMORY_BYTES + 200)))
  })

  it('grows again when the link got faster', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: false })
    const link: LinkModel = { rttMs: 200, capacityPerS: 5000 }
    simulate(win, clock, link, 10)
    const settled = win.limit
    // The same path, now with ten times the capacity, more than the settled window can carry.
    assert.ok(settled < (50_000 * 200) / 1000)
    link.capacityPerS = 50_000
    const r = simulate(win, clock, link, 10)
    assert.ok(win.limit > settled, `window stayed at ${settled}`)
    assert.ok(r.ratePerS >= 0.9 * 50_000, `${r.ratePerS} acks/s of 50000`)
  })

  it('follows a path whose round trip grew, within a refresh of the shortest round trip', () => {
    const clock = fakeClock()
    const win = new InflightWindow(clock.now)
    win.reset({ cap: 65_535, fixed: false })
    const link: LinkModel = { rttMs: 100, capacityPerS: 10_000 }
    simulate(win, clock, link, 10)
    // A handover to a satellite path: six times the round trip, the same capacity.
    link.rttMs = 600
    const r = simulate(win, clock, link, (2 * MIN_RTT_REFRESH_MS) / 1000)
    assert.ok(r.ratePerS >= 0.9 * 10_000, `${r.ratePerS} acks/s of 10000 after the round trip grew`)
    assert.ok(win.limit <= 4 * ((10_000 * 600) / 1000), `window ${win.limit}`)
  })
})
