import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Dispatcher } from '../../src/sink/dispatcher.js'
import type { Publisher } from '../../src/sink/dispatcher.js'
import { MemoryStore } from '../../src/store/memory-store.js'

/** A connection that takes publishes and acks them only when told to. */
function heldPublisher(): Publisher & { acks: Array<(err?: Error) => void> } {
  const acks: Array<(err?: Error) => void> = []
  return { connected: true, acks, room: () => 100, limited: () => undefined, publish: (_t, _p, done) => acks.push(done), batch: (fn) => fn() }
}

// What /health's "in flight without an ack" warning reads (issue 10, item 2).
describe('how long the dispatcher has waited for an ack', () => {
  it('is 0 with nothing in flight, grows while nothing is acked, restarts at each ack', async () => {
    const store = new MemoryStore({ maxBytes: 1 << 20, overflow: 'drop_oldest', maxAgeMs: 0 })
    await store.open({ available: () => undefined, dropped: () => undefined })
    const dispatcher = new Dispatcher(store, { delivered: () => undefined, rejected: () => undefined })
    const publisher = heldPublisher()
    dispatcher.setRoutes([{ id: 'r', priority: 0 }])
    dispatcher.setPublisher(publisher)
    assert.equal(dispatcher.ackWaitMs(), 0)

    const before = Date.now()
    for (const text of ['a', 'b']) store.append('r', 't', Buffer.from(text), 0)
    dispatcher.pump()
    assert.equal(publisher.acks.length, 2)
    const later = Date.now() + 60_000
    assert.ok(dispatcher.ackWaitMs(later) >= 60_000 && dispatcher.ackWaitMs(later) <= later - before)

    publisher.acks[0]!()
    assert.ok(dispatcher.ackWaitMs(Date.now() + 5) <= 1000, 'an ack did not restart the wait')
    publisher.acks[1]!()
    assert.equal(dispatcher.ackWaitMs(later), 0)
  })
})
