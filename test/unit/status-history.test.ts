import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StatusHistory } from '../../src/http/status-history.js'
import type { ServiceStatus } from '../../src/status/service-status.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { routeStatus, serviceStatus } from '../helpers/service-status.js'

/** A status with these routes' counters: [id, received, published, queued]. */
function status(routes: Array<[string, number, number, number]>): ServiceStatus {
  return serviceStatus({
    queued: routes.reduce((n, r) => n + r[3], 0),
    routes: routes.map(([id, received, published, queued]) => routeStatus(id, { stats: { received, published }, queued, queuedBytes: queued * 10 })),
  })
}

describe('the status history behind the status page', () => {
  // Issue 11: the page computed rates from two of its own polls and showed 0 msg/s on first load.
  it('gives each route\'s rates over the last 5 s from its own samples, right on the first request', (t) => {
    const history = new StatusHistory(() => status([]), 1000)
    t.after(() => history.close())
    for (let s = 0; s <= 10; s++) history.sample(s * 1000, status([['a', 200 * s, 190 * s, 10 * s], ['b', 2 * s, 2 * s, 0]]))
    const now = status([['a', 2100, 2000, 100], ['b', 21, 21, 0]])
    const rates = history.rates(now, 10_500)
    // Against the sample of t = 5 s (5.5 s before): a 1,000 → 2,100 received.
    assert.deepEqual(rates.routes.get('a'), { in: 1100 / 5.5, out: (2000 - 950) / 5.5 })
    assert.deepEqual(rates.routes.get('b'), { in: 11 / 5.5, out: 11 / 5.5 })
    assert.equal(rates.total.in, 1100 / 5.5 + 11 / 5.5)
  })

  it('uses the oldest sample while the service is younger than the window, and says 0 before it has one', (t) => {
    const history = new StatusHistory(() => status([]), 1000)
    t.after(() => history.close())
    assert.deepEqual(history.rates(status([['a', 50, 50, 0]]), 0).total, { in: 0, out: 0 })
    history.sample(1000, status([['a', 0, 0, 0]]))
    assert.deepEqual(history.rates(status([['a', 400, 300, 0]]), 3000).routes.get('a'), { in: 200, out: 150 })
  })

  it('counts a route added by a reload from its first sample, never negative', (t) => {
    const history = new StatusHistory(() => status([]), 1000)
    t.after(() => history.close())
    history.sample(0, status([['a', 0, 0, 0]]))
    history.sample(1000, status([['a', 100, 100, 0], ['new', 7, 7, 0]]))
    history.sample(2000, status([['a', 200, 200, 0], ['new', 17, 17, 0]]))
    const chart = history.chart()
    assert.equal(chart.length, 2)
    assert.deepEqual(chart[0]!.routes.new, { in: 0, out: 0, queued: 0 })
    assert.deepEqual(chart[1]!.routes.new, { in: 10, out: 10, queued: 0 })
    assert.deepEqual({ in: chart[1]!.in, out: chart[1]!.out }, { in: 110, out: 110 })
    // `since`: only what the page has not got yet.
    assert.deepEqual(history.chart(1000).map((p) => p.t), [2000])
  })

  it('keeps a bounded number of samples', (t) => {
    const history = new StatusHistory(() => status([]), 1000, 5)
    t.after(() => history.close())
    for (let s = 0; s < 20; s++) history.sample(s * 1000, status([['a', s, s, 0]]))
    assert.deepEqual(history.chart().map((p) => p.t), [16_000, 17_000, 18_000, 19_000])
  })

  // Issue 12: nothing runs before start(), and time is the injected clock's.
  it('samples every interval from start() to close(), on the injected clock', async () => {
    const clock = new ManualClock(0)
    let received = 0
    const history = new StatusHistory(() => status([['a', received, received, 0]]), 1000, 320, clock)
    assert.equal(clock.pending, 0, 'a timer was started by the constructor')
    await history.start()
    for (let s = 1; s <= 6; s++) {
      received = 100 * s
      clock.advance(1000)
    }
    assert.deepEqual(history.chart().map((p) => p.t), [2000, 3000, 4000, 5000, 6000])
    assert.deepEqual(history.rates(status([['a', 600, 600, 0]])).routes.get('a'), { in: 100, out: 100 })
    await history.close()
    assert.equal(clock.pending, 0, 'close() left a timer')
  })
})
