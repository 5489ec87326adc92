// checkSequence decides whether a fault test passes, so its verdicts are tested on their own.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { expectedSequence } from '../helpers/nats-publisher.js'
import { checkSequence, describeSequence } from '../helpers/sequence.js'

describe('checkSequence', () => {
  const expected = expectedSequence(5) // '0'..'4'

  it('accepts a complete, ordered sequence', () => {
    assert.deepEqual(checkSequence(['0', '1', '2', '3', '4'], expected), {
      ok: true,
      missing: [],
      outOfOrder: [],
      duplicates: 0,
      unexpected: [],
    })
  })

  it('reports missing payloads in expected order', () => {
    const r = checkSequence(['0', '3', '4'], expected)
    assert.equal(r.ok, false)
    assert.deepEqual(r.missing, ['1', '2'])
    assert.deepEqual(r.outOfOrder, [])
  })

  it('allows QoS 1 redelivery after a reconnect but counts the duplicates', () => {
    const r = checkSequence(['0', '1', '2', '1', '2', '3', '4'], expected)
    assert.equal(r.ok, true)
    assert.equal(r.duplicates, 2)
    assert.deepEqual(r.outOfOrder, [])
  })

  it('reports a first arrival that overtook an earlier message', () => {
    const r = checkSequence(['0', '2', '1', '3', '4'], expected)
    assert.equal(r.ok, false)
    assert.deepEqual(r.outOfOrder, [{ payload: '1', index: 2, expectedIndex: 1, after: '2' }])
    assert.deepEqual(r.missing, [])
  })

  it('reports payloads that were never sent', () => {
    const r = checkSequence(['0', '1', 'x', '2', '3', '4'], expected)
    assert.equal(r.ok, false)
    assert.deepEqual(r.unexpected, ['x'])
  })

  it('refuses an expected list with repeats, which would make the verdict meaningless', () => {
    assert.throws(() => checkSequence([], ['a', 'a']), /appears twice/)
  })

  it('describes a report briefly for assertion messages', () => {
    const text = describeSequence(checkSequence(['1', '0'], expectedSequence(30)), 3)
    assert.match(text, /^missing 28: "2", "3", "4", …; out of order 1: .*"payload":"0".*; unexpected 0; duplicates 0$/)
  })
})
