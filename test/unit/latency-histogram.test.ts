import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Histogram, Registry } from 'prom-client'
import { LatencyHistogram, bucketOf } from '../../src/http/latency-histogram.js'

const BOUNDS = [0.001, 0.01, 0.1, 1, 10]

// Issue 9: the per-message latency histogram, counted without prom-client's per-observation label hashing.
describe('latency histogram', () => {
  it('puts a value in the first bucket whose bound is at least the value, past the last in +Inf', () => {
    assert.equal(bucketOf(BOUNDS, 0), 0)
    assert.equal(bucketOf(BOUNDS, 0.001), 0, 'a value on a bound counts in that bucket (le)')
    assert.equal(bucketOf(BOUNDS, 0.0011), 1)
    assert.equal(bucketOf(BOUNDS, 1), 3)
    assert.equal(bucketOf(BOUNDS, 10), 4)
    assert.equal(bucketOf(BOUNDS, 10.5), 5)
    assert.equal(bucketOf(BOUNDS, -1), 0)
  })

  it('writes exactly what prom-client\'s Histogram writes for the same observations', async () => {
    const ours = new Registry()
    const histogram = new LatencyHistogram('export_publish_latency_seconds', 'latency', BOUNDS)
    ours.registerMetric(histogram.asMetric())
    const theirs = new Registry()
    const reference = new Histogram({ name: 'export_publish_latency_seconds', help: 'latency', labelNames: ['route'], buckets: BOUNDS, registers: [theirs] })
    // A spread over every bucket, bounds included, for two routes (one with a quote in its name).
    const values = [0, 0.0005, 0.001, 0.004, 0.01, 0.05, 0.1, 0.7, 1, 3, 10, 11, 600, 0.25, 0.002]
    for (const [i, v] of values.entries()) {
      const route = i % 3 === 0 ? 'export' : 'mfx "b"'
      histogram.observe(route, v)
      reference.observe({ route }, v)
    }
    assert.equal(await ours.metrics(), await theirs.metrics())
  })

  it('skips a value that is not a number, where prom-client would throw', async () => {
    const histogram = new LatencyHistogram('h', 'h', BOUNDS)
    histogram.observe('r', Number.NaN)
    histogram.observe('r', Number.POSITIVE_INFINITY)
    histogram.observe('r', 0.5)
    const { values } = await histogram.get()
    const count = values.find((v) => v.metricName === 'h_count')
    const sum = values.find((v) => v.metricName === 'h_sum')
    assert.equal(count?.value, 1)
    assert.equal(sum?.value, 0.5)
  })

  it('starts empty again after reset, and refuses bounds that do not increase', async () => {
    const histogram = new LatencyHistogram('h', 'h', BOUNDS)
    histogram.observe('r', 0.5)
    histogram.reset()
    assert.deepEqual((await histogram.get()).values, [])
    assert.throws(() => new LatencyHistogram('h', 'h', [1, 1]), /bounds must increase/)
  })
})
