import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MESSAGE_OVERHEAD_BYTES } from '../../src/store/message.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { DropReason } from '../../src/store/store.js'

function openStore(maxBytes = 1 << 20, overflow: 'drop_oldest' | 'drop_newest' = 'drop_oldest', maxAgeMs = 0) {
  const store = new MemoryStore({ maxBytes, overflow, maxAgeMs })
  const drops: Array<{ routeId: string; count: number; reason: DropReason }> = []
  const available: string[] = []
  void store.open({ available: (r) => available.push(r), dropped: (routeId, count, reason) => drops.push({ routeId, count, reason }) })
  const add = (route: string, text: string, at = 0): boolean => store.append(route, 't', Buffer.from(text), at)
  const claimText = (route: string, n: number): string[] => store.claim(route, n).map((m) => m.payload.toString())
  return { store, drops, available, add, claimText }
}

describe('memory store', () => {
  it('hands out a route in order, at most the asked number at a time', () => {
    const { store, add, claimText, available } = openStore()
    for (const t of ['a', 'b', 'c']) add('r1', t)
    add('r2', 'x')
    assert.deepEqual(claimText('r1', 2), ['a', 'b'])
    assert.deepEqual(claimText('r1', 5), ['c'])
    assert.deepEqual(claimText('r1', 5), [])
    assert.deepEqual(claimText('r2', 5), ['x'])
    assert.deepEqual(available, ['r1', 'r1', 'r1', 'r2'])
    assert.equal(store.stats('r1').messages, 3)
  })

  it('removes a message only on ack, and acks may come out of order', () => {
    const { store, add } = openStore()
    for (const t of ['a', 'b', 'c']) add('r', t)
    const [a, b, c] = store.claim('r', 3)
    store.ack('r', c!)
    store.ack('r', a!)
    assert.equal(store.stats('r').messages, 1)
    assert.equal(store.stats('r').oldestReceivedAt, b!.receivedAt)
    store.ack('r', b!)
    assert.equal(store.stats('r').messages, 0)
    assert.equal(store.stats('r').bytes, 0)
  })

  it('puts a released message back ahead of the ones after it', () => {
    const { store, add, claimText } = openStore()
    for (const t of ['a', 'b', 'c', 'd']) add('r', t)
    const [a, b] = store.claim('r', 2)
    store.ack('r', a!)
    store.release('r', b!)
    assert.deepEqual(claimText('r', 10), ['b', 'c', 'd'])
  })

  it('requeues every in-flight message, in order, on releaseAll', () => {
    const { store, add, claimText } = openStore()
    for (const t of ['a', 'b', 'c', 'd']) add('r', t)
    const claimed = store.claim('r', 3)
    store.ack('r', claimed[1]!)
    store.releaseAll('r')
    assert.equal(store.queued('r'), 3)
    assert.deepEqual(claimText('r', 10), ['a', 'c', 'd'])
  })

  it('drop_oldest removes the oldest queued message store-wide and counts it', () => {
    const size = 1 + 1 + MESSAGE_OVERHEAD_BYTES // topic 't' + 1-byte payload
    const { store, add, drops, claimText } = openStore(size * 3)
    add('r1', 'a')
    add('r2', 'b')
    add('r1', 'c')
    assert.equal(add('r2', 'd'), true)
    assert.deepEqual(drops, [{ routeId: 'r1', count: 1, reason: 'overflow' }])
    assert.deepEqual(claimText('r1', 10), ['c'])
    assert.deepEqual(claimText('r2', 10), ['b', 'd'])
    assert.ok(store.stats('r1').bytes + store.stats('r2').bytes <= size * 3)
  })

  it('drop_oldest never drops a message that is in flight', () => {
    const size = 2 + MESSAGE_OVERHEAD_BYTES
    const { store, add, drops } = openStore(size * 2)
    add('r', 'a')
    add('r', 'b')
    store.claim('r', 2)
    assert.equal(add('r', 'c'), false)
    assert.deepEqual(drops, [{ routeId: 'r', count: 1, reason: 'overflow' }])
    assert.equal(store.stats('r').messages, 2)
  })

  it('drop_newest refuses the new message and keeps the queue', () => {
    const size = 2 + MESSAGE_OVERHEAD_BYTES
    const { add, drops, claimText } = openStore(size * 2, 'drop_newest')
    add('r', 'a')
    add('r', 'b')
    assert.equal(add('r', 'c'), false)
    assert.deepEqual(drops, [{ routeId: 'r', count: 1, reason: 'overflow' }])
    assert.deepEqual(claimText('r', 10), ['a', 'b'])
  })

  it('drops queued messages older than max_age and counts them', async () => {
    const { store, add, drops, claimText } = openStore(1 << 20, 'drop_oldest', 1000)
    add('r', 'old1', 1_000)
    add('r', 'old2', 1_500)
    add('r', 'new', 5_000)
    store.sweepExpired(5_200)
    assert.deepEqual(drops, [{ routeId: 'r', count: 2, reason: 'max_age' }])
    assert.deepEqual(claimText('r', 10), ['new'])
    await store.close()
  })

  it('keeps order over many messages with compaction', () => {
    const { store, add } = openStore(1 << 30)
    const n = 20_000
    for (let i = 0; i < n; i++) add('r', String(i))
    const seen: string[] = []
    for (;;) {
      const batch = store.claim('r', 7)
      if (batch.length === 0) break
      for (const m of batch) {
        seen.push(m.payload.toString())
        store.ack('r', m)
      }
    }
    assert.equal(seen.length, n)
    assert.ok(seen.every((s, i) => s === String(i)))
    assert.equal(store.stats('r').messages, 0)
  })
})
