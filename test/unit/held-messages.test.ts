import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { createLogger } from '../../src/logger.js'
import { HeldMessages } from '../../src/source/held-messages.js'
import type { HeldMessage } from '../../src/source/held-messages.js'
import { messageBytes } from '../../src/store/message.js'
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

/** Every HeldMessages a test made, closed after it (their refresh timer). */
const made: HeldMessages[] = []

function setup() {
  let now = 0
  const held = new HeldMessages({ refreshAfterMs: REFRESH_MS, tickMs: 1000, log, now: () => now })
  made.push(held)
  const at = (ms: number): void => {
    now = ms
    held.tick(ms)
  }
  return { held, at }
}

describe('held JetStream messages (memory store, issue 13)', () => {
  afterEach(() => {
    for (const held of made.splice(0)) held.close()
  })

  it('acks a message once, when the store reports it delivered', () => {
    const { held } = setup()
    const m = new FakeMsg(1)
    const settled = held.hold(m)
    assert.ok(settled)
    assert.equal(held.size, 1)
    settled('delivered')
    settled('delivered')
    settled('dropped')
    assert.deepEqual(m.sent, ['ack'])
    assert.equal(held.size, 0)
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
    held.hold(m)!('delivered')
    at(REFRESH_MS * 3)
    assert.deepEqual(m.sent, ['ack'])
  })

  it('keeps one hold per stream sequence: a redelivery while held is not stored again, and the newest delivery is acked', () => {
    const { held, at } = setup()
    const first = new FakeMsg(5)
    const settled = held.hold(first)
    assert.ok(settled)
    at(3000)
    const again = new FakeMsg(5)
    assert.equal(held.hold(again), undefined, 'a redelivery of a held message must not be stored twice')
    at(REFRESH_MS + 1000)
    assert.deepEqual(again.sent, [], 'the redelivery restarted the wait: not due yet')
    at(REFRESH_MS + 3000)
    assert.deepEqual(again.sent, ['working'])
    settled('delivered')
    assert.deepEqual(first.sent, [])
    assert.deepEqual(again.sent, ['working', 'ack'])
  })

  it('forgets a message the store did not take', () => {
    const { held, at } = setup()
    const m = new FakeMsg(9)
    const settled = held.hold(m)!
    held.cancel(9)
    settled('delivered') // too late: the hold is gone
    at(REFRESH_MS * 2)
    assert.deepEqual(m.sent, [])
    assert.equal(held.size, 0)
  })

  it('terminates a message the store dropped, and only a held one', () => {
    const { held } = setup()
    const dropped = new FakeMsg(1)
    const kept = new FakeMsg(2)
    const onDropped = held.hold(dropped)!
    const onKept = held.hold(kept)!
    onKept('delivered')
    onDropped('dropped')
    onKept('dropped') // delivered already: nothing more to send
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

  for (const policy of ['max_age', 'overflow'] as const) {
    it(`with the memory store: terminates what it dropped by ${policy} at once, keeps what it still queues`, async () => {
      const held = new HeldMessages({ refreshAfterMs: REFRESH_MS, tickMs: 1000, log })
      made.push(held)
      // max_age: the old ones expire. overflow: room for 50 (each counts its topic, payload and overhead), drop_oldest.
      const maxBytes = policy === 'overflow' ? 50 * messageBytes('t', Buffer.from('x')) : 1 << 20
      const store = new MemoryStore({ maxBytes, overflow: 'drop_oldest', maxAgeMs: 60_000 })
      await store.open({ available: () => undefined, dropped: () => undefined })
      const old = Array.from({ length: 50 }, (_, i) => new FakeMsg(i + 1))
      const young = Array.from({ length: 50 }, (_, i) => new FakeMsg(i + 51))
      for (const m of old) assert.ok(store.append('old', 't', Buffer.from('x'), 0, held.hold(m)))
      for (const m of young) assert.ok(store.append('young', 't', Buffer.from('x'), 100_000, held.hold(m)))
      if (policy === 'max_age') store.sweepExpired(100_000)
      assert.ok(old.every((m) => m.sent.join() === 'term'), `${old.filter((m) => m.sent.length === 0).length} dropped messages not terminated`)
      assert.ok(young.every((m) => m.sent.length === 0), 'a message the store still holds was terminated')
      assert.equal(held.size, 50)
      assert.equal(held.dropped, 50)
      const claimed = store.claim('young', 100)
      for (const s of claimed) s.onSettled?.('delivered')
      assert.ok(young.every((m) => m.sent.join() === 'ack'))
      assert.equal(held.size, 0)
      await store.close()
    })
  }
})
