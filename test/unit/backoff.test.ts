import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Backoff } from '../../src/sink/backoff.js'

describe('reconnect backoff', () => {
  it('doubles from 1 s up to 30 s and starts over after reset', () => {
    const b = new Backoff(1000, 30_000, () => 0.5)
    const delays = Array.from({ length: 8 }, () => b.next())
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
    b.reset()
    assert.equal(b.next(), 1000)
  })

  it('adds at most 20 % jitter and never goes below the first delay', () => {
    const low = new Backoff(1000, 30_000, () => 0)
    const high = new Backoff(1000, 30_000, () => 0.999)
    low.next()
    assert.equal(low.next(), 1600)
    assert.equal(high.next(), 1200)
  })
})
