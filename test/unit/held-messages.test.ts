import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createLogger } from '../../src/logger.js'
import { HeldMessages } from '../../src/source/held-messages.js'
import type { HeldMessage, ReleaseWatch } from '../../src/source/held-messages.js'
import { MemoryStore } from '../../src/store/memory-store.js'

const log = createLogger('error')
const REFRESH_MS = 10_000

/** A JetStream message that records what was sent on it. */
class FakeMsg implements HeldMessage {
  readonly sent: string[] = []
  constructor(readonly seq: number) {}
  ack(): void {
    this.sent.push('ack')
  }
  working(): void {
    this.sent.push('working')
  }
  term(): void {
    this.sent.push('term')
  }
}

/** A release watch the test triggers by hand, as the garbage collector would. */
function manualWatch(): { factory: (onReleased: (seq: number) => void) => ReleaseWatch; release: (seq: number) => void; watched: () => number } {
  const watched = new Set<() => void>()
  let released: (seq: number) => void = () => undefined
  return {
    factory: (onReleased) => {
      released = onReleased
      return { watch: (cb) => watched.add(cb), unwatch: (cb) => watched.delete(cb) }
    },
    release: (seq) => released(seq),
    watched: () => watched.size,
  }
}

/** Every HeldMessages a test made, closed after it (their refresh timer). */
const made: HeldMessages[] = []

function setup() {
  let now = 0
  const watch = manualWatch()
  const held = new HeldMessages({ refreshAfterMs: REFRESH_MS, tickMs: 1000, log, now: () => now, watch: watch.factory })
  made.push(held)
  const at = (ms: number): void => {
    now = ms
    held.tick(ms)
  }
  return { held, watch, at }
}

describe('held JetStream messages (memory store, issue 13)', () => {
  afterEach(() => {
    for (const held of made.splice(0)) held.close()
  })

  it('acks a message once, when the store reports it delivered, and stops watching it', () => {
    const { held, watch } = setup()
    const m = new FakeMsg(1)
    const delivered = held.hold(m)
    assert.ok(delivered)
    assert.equal(held.size, 1)
    delivered()
    delivered()
    assert.deepEqual(m.sent, ['ack'])
    assert.equal(held.size, 0)
    assert.equal(watch.watched(), 0)
  })

  it('sends one in-progress ack per held message per refresh period, never before it is due', () => {
    const { held, at } = setup()
    const msgs = [1, 2, 3].map((seq) => new FakeMsg(seq))
    at(0)
    held.hold(msgs[0]!)
    at(4000)
    held.hold(msgs[1]!)
    held.hold(msgs[2]!)
    at(9999)
    assert.deepEqual(msgs.map((m) => m.sent.length), [0, 0, 0], 'refreshed before due')
    at(10_000)
    assert.deepEqual(msgs.map((m) => m.sent), [['working'], [], []])
    at(14_000)
    assert.deepEqual(msgs.map((m) => m.sent.length), [1, 1, 1])
    // A refreshed message is due again one period after its refresh, not after its receipt.
    at(19_999)
    assert.deepEqual(msgs.map((m) => m.sent.length), [1, 1, 1])
    at(20_000)
    assert.deepEqual(msgs.map((m) => m.sent.length), [2, 1, 1])
    // A late tick (event loop busy) refreshes everything due at once, each once.
    at(60_000)
    assert.deepEqual(msgs.map((m) => m.sent.length), [3, 2, 2])
    assert.equal(held.progressSent, 7)
  })

  it('does not refresh a message after it was delivered', () => {
    const { held, at } = setup()
    const m = new FakeMsg(7)
    held.hold(m)!()
    at(REFRESH_MS * 3)
    assert.deepEqual(m.sent, ['ack'])
  })

  it('keeps one hold per stream sequence: a redelivery while held is not stored again, and the newest delivery is acked', () => {
    const { held, at } = setup()
    const first = new FakeMsg(5)
    const delivered = held.hold(first)
    assert.ok(delivered)
    at(3000)
    const again = new FakeMsg(5)
    assert.equal(held.hold(again), undefined, 'a redelivery of a held message must not be stored twice')
    at(REFRESH_MS + 1000)
    assert.deepEqual(again.sent, [], 'the redelivery restarted the wait: not due yet')
    at(REFRESH_MS + 3000)
    assert.deepEqual(again.sent, ['working'])
    delivered()
    assert.deepEqual(first.sent, [])
    assert.deepEqual(again.sent, ['working', 'ack'])
  })

  it('forgets a message the store did not take', () => {
    const { held, watch, at } = setup()
    const m = new FakeMsg(9)
    const delivered = held.hold(m)!
    held.cancel(9, delivered)
    at(REFRESH_MS * 2)
    assert.deepEqual(m.sent, [])
    assert.equal(held.size, 0)
    assert.equal(watch.watched(), 0)
  })

  it('terminates a message the store dropped, and only a held one', () => {
    const { held, watch } = setup()
    const dropped = new FakeMsg(1)
    const kept = new FakeMsg(2)
    held.hold(dropped)
    held.hold(kept)!()
    watch.release(1)
    watch.release(2) // delivered already: nothing more to send
    assert.deepEqual(dropped.sent, ['term'])
    assert.deepEqual(kept.sent, ['ack'])
    assert.equal(held.dropped, 1)
  })

  it('stops, without throwing, once the NATS connection is closed', () => {
    const { held, at } = setup()
    const closed: HeldMessage = {
      seq: 1,
      ack: () => undefined,
      term: () => undefined,
      working: () => {
        throw new Error('connection closed')
      },
    }
    const m = new FakeMsg(2)
    held.hold(closed)
    held.hold(m)
    at(REFRESH_MS)
    assert.equal(held.size, 0)
    at(REFRESH_MS * 3)
    assert.deepEqual(m.sent, [], 'nothing is sent on a closed connection')
  })

  it('with the real garbage collector: terminates what the memory store dropped, keeps what it still queues', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const held = new HeldMessages({ refreshAfterMs: REFRESH_MS, tickMs: 1000, log })
    made.push(held)
    const store = new MemoryStore({ maxBytes: 1 << 20, overflow: 'drop_oldest', maxAgeMs: 60_000 })
    await store.open({ available: () => undefined, dropped: () => undefined })
    const old = Array.from({ length: 50 }, (_, i) => new FakeMsg(i + 1))
    const young = Array.from({ length: 50 }, (_, i) => new FakeMsg(i + 51))
    for (const m of old) assert.ok(store.append('old', 't', Buffer.from('x'), 0, held.hold(m)))
    for (const m of young) assert.ok(store.append('young', 't', Buffer.from('x'), 100_000, held.hold(m)))
    store.sweepExpired(100_000) // drops the 50 old ones (max_age)
    for (let i = 0; i < 100 && old.some((m) => m.sent.length === 0); i++) {
      gc()
      await nextTurn() // finalization callbacks run as tasks after the collection
    }
    assert.ok(old.every((m) => m.sent.join() === 'term'), `${old.filter((m) => m.sent.length === 0).length} dropped messages not terminated`)
    assert.ok(young.every((m) => m.sent.length === 0), 'a message the store still holds was terminated')
    assert.equal(held.size, 50)
    assert.equal(held.dropped, 50)
    const claimed = store.claim('young', 100)
    for (const s of claimed) s.onDelivered?.()
    assert.ok(young.every((m) => m.sent.join() === 'ack'))
    assert.equal(held.size, 0)
    await store.close()
  })
})
