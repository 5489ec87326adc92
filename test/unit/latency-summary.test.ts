import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LatencySummary } from '../../src/http/latency-summary.js'

/** Within the summary's resolution: a bucket spans 12 %, its middle is within 6 % of any value in it. */
function near(actual: number | undefined, expected: number): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) / expected <= 0.07, `${actual} is not within 7 % of ${expected}`)
}

describe('the latency summary of the status page', () => {
  it('gives p50 and p99 of the last minute, per route', () => {
    let now = 1_000_000
    const summary = new LatencySummary(() => now)
    // 1 ms … 100 ms, each once: p50 = 50 ms, p99 = 99 ms.
    for (let ms = 1; ms <= 100; ms++) summary.observe('a', ms / 1000)
    summary.observe('b', 2)
    now += 5000
    const a = summary.quantiles('a')
    assert.equal(a.count, 100)
    near(a.p50, 0.05)
    near(a.p99, 0.099)
    const b = summary.quantiles('b')
    assert.equal(b.count, 1)
    near(b.p50, 2)
    near(b.p99, 2)
    assert.deepEqual(summary.quantiles('none'), { count: 0, p50: undefined, p99: undefined })
  })

  it('forgets what is older than about a minute, and a backlog shows in p99 while it lasts', () => {
    let now = 0
    const summary = new LatencySummary(() => now)
    for (let i = 0; i < 990; i++) summary.observe('r', 0.002)
    for (let i = 0; i < 10; i++) summary.observe('r', 12) // a drain after a 12 s cut
    near(summary.quantiles('r').p50, 0.002)
    near(summary.quantiles('r').p99, 0.002)
    summary.observe('r', 12)
    near(summary.quantiles('r').p99, 12)
    now += 60_000
    assert.equal(summary.quantiles('r').count, 1001, 'still within the window')
    now += 10_000
    assert.equal(summary.quantiles('r').count, 0, 'older than the window')
    // Slots are reused after a minute: counting goes on right.
    for (let step = 0; step < 20; step++) {
      now += 10_000
      summary.observe('r', 0.5)
    }
    assert.equal(summary.quantiles('r').count, 7)
    near(summary.quantiles('r').p50, 0.5)
  })

  it('counts values out of range in the first and last buckets', () => {
    const summary = new LatencySummary(() => 0)
    summary.observe('r', 0)
    summary.observe('r', -1)
    summary.observe('r', 1e9)
    const q = summary.quantiles('r')
    assert.equal(q.count, 3)
    assert.ok(q.p50 !== undefined && q.p50 <= 1e-4 * 1.2)
    assert.ok(q.p99 !== undefined && q.p99 >= 1e4)
  })
})
