import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Teardown } from '../helpers/teardown.js'

describe('Teardown', () => {
  it('runs cleanups last-first, all of them, and then reports the failures', async () => {
    const order: string[] = []
    const td = new Teardown()
    td.add(() => order.push('a'), 'a')
    td.add(() => {
      order.push('b')
      throw new Error('b broke')
    }, 'b')
    td.add(async () => {
      await Promise.resolve()
      order.push('c')
    }, 'c')
    await assert.rejects(td.run(), /teardown: b failed/)
    assert.deepEqual(order, ['c', 'b', 'a'])
    await td.run() // nothing left: no error, nothing run twice
    assert.deepEqual(order, ['c', 'b', 'a'])
  })
})
