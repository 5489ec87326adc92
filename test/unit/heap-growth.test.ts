import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../src/heap-growth.js'

// Issue 9: the service collects its old generation at 1.5 × the live set (src/heap-growth.ts).
describe('V8 heap growth', () => {
  it('sets the service\'s growth limit when node was started without one', () => {
    assert.equal(heapGrowthFlag([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
    assert.equal(heapGrowthFlag(['--enable-source-maps', '--max-old-space-size=512']), '--heap-growing-percent=50')
  })

  it('leaves the operator\'s own choice alone, in either spelling', () => {
    assert.equal(heapGrowthFlag(['--heap-growing-percent=20']), undefined)
    assert.equal(heapGrowthFlag(['--heap_growing_percent=100']), undefined)
    assert.equal(heapGrowthFlag(['--heap-growing-percent', '20']), undefined)
  })

  it('is not fooled by a flag that only starts the same way', () => {
    assert.equal(heapGrowthFlag(['--heap-growing-percentage=5']), '--heap-growing-percent=50')
  })
})
