// The cases every MessageStore must pass, written once and run against each store
// (test/unit/memory-store.test.ts, test/unit/file-store.test.ts), so that both keep the same
// semantics: order, acks, release, the overflow policies and max_age.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { TestContext } from 'node:test'
import type { StoreLimits } from '../../src/config/types.js'
import type { StoreLogger } from '../../src/store/file-store.js'
import { MESSAGE_OVERHEAD_BYTES } from '../../src/store/message.js'
import type { DropReason, MessageStore } from '../../src/store/store.js'

/** A store that can be swept at a chosen time, as both stores can. */
export interface SweepableStore extends MessageStore {
  sweepExpired(now: number): void
}

export interface Drop {
  routeId: string
  count: number
  reason: DropReason
}

/** An open store with what its listener was told, and shorthands for one-byte-topic messages. */
export interface RecordedStore<S extends MessageStore> {
  store: S
  drops: Drop[]
  available: string[]
  /** Appends `text` on topic `t`, received at `at`. */
  add: (route: string, text: string, at?: number) => boolean
  /** Claims up to `n` messages of the route and returns their payloads. */
  claimText: (route: string, n: number) => string[]
}

/** A store logger that says nothing. */
export const quietStoreLog: StoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined }

/** Opens `store` with a listener that records every call. */
export async function openRecorded<S extends MessageStore>(store: S): Promise<RecordedStore<S>> {
  const drops: Drop[] = []
  const available: string[] = []
  await store.open({ available: (r) => available.push(r), dropped: (routeId, count, reason) => drops.push({ routeId, count, reason }) })
  const add = (route: string, text: string, at = 0): boolean => store.append(route, 't', Buffer.from(text), at)
  const claimText = (route: string, n: number): string[] => store.claim(route, n).map((m) => m.payload.toString())
  return { store, drops, available, add, claimText }
}

/** Claims and acks everything of a route, `batch` at a time; returns the payloads in claim order. */
export function drain(store: MessageStore, route: string, batch = 7, check?: () => void): string[] {
  const seen: string[] = []
  for (;;) {
    const claimed = store.claim(route, batch)
    if (claimed.length === 0) return seen
    for (const m of claimed) {
      seen.push(m.payload.toString())
      store.ack(route, m)
    }
    check?.()
  }
}

/** `"from"` … `"to - 1"` as text. */
export const numbers = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => String(from + i))

/** Opens a fresh store of the kind under test with these limits (the rest: 1 GiB, drop_oldest, no max_age); closed after the test. */
export type OpenStore = (t: TestContext, limits?: Partial<StoreLimits>) => Promise<RecordedStore<SweepableStore>>

/** Registers the contract's cases (inside the caller's `describe`) for the store that `open` makes. */
export function storeContract(kind: MessageStore['kind'], open: OpenStore): void {
  it('hands out a route in order, at most the asked number at a time', async (t) => {
    const { store, add, claimText, available } = await open(t)
    for (const s of ['a', 'b', 'c']) add('r1', s)
    add('r2', 'x')
    assert.deepEqual(claimText('r1', 2), ['a', 'b'])
    assert.deepEqual(claimText('r1', 5), ['c'])
    assert.deepEqual(claimText('r1', 5), [])
    assert.deepEqual(claimText('r2', 5), ['x'])
    assert.deepEqual(available, ['r1', 'r1', 'r1', 'r2'])
    assert.equal(store.stats('r1').messages, 3)
    assert.deepEqual(store.routeIds().sort(), ['r1', 'r2'])
    assert.equal(store.kind, kind)
  })

  it('removes a message only on ack, and acks may come out of order', async (t) => {
    const { store, add } = await open(t)
    for (const [s, at] of [['a', 10], ['b', 20], ['c', 30]] as const) add('r', s, at)
    const [a, b, c] = store.claim('r', 3)
    store.ack('r', c!)
    store.ack('r', a!)
    assert.equal(store.stats('r').messages, 1)
    assert.equal(store.stats('r').oldestReceivedAt, 20)
    store.ack('r', b!)
    assert.deepEqual(store.stats('r'), { messages: 0, bytes: 0, oldestReceivedAt: undefined })
  })

  it('puts a released message back ahead of the ones after it', async (t) => {
    const { store, add, claimText } = await open(t)
    for (const s of ['a', 'b', 'c', 'd']) add('r', s)
    const [a, b] = store.claim('r', 2)
    store.ack('r', a!)
    store.release('r', b!)
    assert.deepEqual(claimText('r', 10), ['b', 'c', 'd'])
  })

  it('requeues every in-flight message, in order, on releaseAll', async (t) => {
    const { store, add, claimText } = await open(t)
    for (const s of ['a', 'b', 'c', 'd']) add('r', s)
    const claimed = store.claim('r', 3)
    store.ack('r', claimed[1]!)
    store.releaseAll('r')
    assert.equal(store.queued('r'), 3)
    assert.deepEqual(claimText('r', 10), ['a', 'c', 'd'])
  })

  it('drop_oldest removes the oldest queued message store-wide and counts it', async (t) => {
    const size = 1 + 1 + MESSAGE_OVERHEAD_BYTES // topic 't' + 1-byte payload
    const { store, add, drops, claimText } = await open(t, { maxBytes: size * 3 })
    add('r1', 'a')
    add('r2', 'b')
    add('r1', 'c')
    assert.equal(add('r2', 'd'), true)
    assert.deepEqual(drops, [{ routeId: 'r1', count: 1, reason: 'overflow' }])
    assert.deepEqual(claimText('r1', 10), ['c'])
    assert.deepEqual(claimText('r2', 10), ['b', 'd'])
    assert.ok(store.stats('r1').bytes + store.stats('r2').bytes <= size * 3)
  })

  it('drop_oldest never drops a message that is in flight', async (t) => {
    const size = 2 + MESSAGE_OVERHEAD_BYTES
    const { store, add, drops } = await open(t, { maxBytes: size * 2 })
    add('r', 'a')
    add('r', 'b')
    store.claim('r', 2)
    assert.equal(add('r', 'c'), false)
    assert.deepEqual(drops, [{ routeId: 'r', count: 1, reason: 'overflow' }])
    assert.equal(store.stats('r').messages, 2)
  })

  it('drop_newest refuses the new message and keeps the queue', async (t) => {
    const size = 2 + MESSAGE_OVERHEAD_BYTES
    const { add, drops, claimText } = await open(t, { maxBytes: size * 2, overflow: 'drop_newest' })
    add('r', 'a')
    add('r', 'b')
    assert.equal(add('r', 'c'), false)
    assert.deepEqual(drops, [{ routeId: 'r', count: 1, reason: 'overflow' }])
    assert.deepEqual(claimText('r', 10), ['a', 'b'])
  })

  it('drops queued messages older than max_age and counts them', async (t) => {
    const { store, add, drops, claimText } = await open(t, { maxAgeMs: 1000 })
    add('r', 'old1', 1_000)
    add('r', 'old2', 1_500)
    add('r', 'new', 5_000)
    store.sweepExpired(5_200)
    assert.deepEqual(drops, [{ routeId: 'r', count: 2, reason: 'max_age' }])
    assert.deepEqual(claimText('r', 10), ['new'])
  })

  it('keeps order over many messages with compaction', async (t) => {
    const { store, add } = await open(t)
    const n = 20_000
    for (let i = 0; i < n; i++) add('r', String(i))
    assert.deepEqual(drain(store, 'r'), numbers(0, n))
    assert.equal(store.stats('r').messages, 0)
  })
}
