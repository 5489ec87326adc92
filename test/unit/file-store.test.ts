import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { drain, numbers, openRecorded, quietStoreLog as quiet, storeContract } from '../helpers/store-contract.js'
import { createStore } from '../../src/store/create-store.js'
import { FileStore } from '../../src/store/file-store.js'
import type { FileStoreConfig } from '../../src/store/file-store.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { MESSAGE_OVERHEAD_BYTES } from '../../src/store/message.js'
import type { StoredMessage } from '../../src/store/message.js'
import type { DropReason } from '../../src/store/store.js'

type Options = Partial<Omit<FileStoreConfig, 'path'>>

/** A file store in a fresh temp dir; `reopen()` closes it and opens a new one on the same directory. */
async function openStore(t: TestContext, options: Options = {}, dir?: string) {
  const path = dir ?? (await makeTempDir('file-store'))
  if (dir === undefined) t.after(() => removeDir(path))
  const store = new FileStore({ path, maxBytes: 1 << 30, overflow: 'drop_oldest', maxAgeMs: 0, ...options }, quiet)
  t.after(() => store.close())
  const reopen = async (next: Options = options) => {
    await store.close()
    return openStore(t, next, path)
  }
  return { ...(await openRecorded(store)), path, reopen }
}

describe('file store', () => {
  storeContract('file', (t, limits) => openStore(t, limits))

  it('keeps the queue across close and reopen, in order, with in-flight messages queued again', async (t) => {
    const { store, add, reopen } = await openStore(t)
    for (let i = 0; i < 10; i++) add('r1', String(i))
    add('r2', 'x')
    const claimed = store.claim('r1', 4)
    store.ack('r1', claimed[0]!)
    store.ack('r1', claimed[2]!)
    await store.flush()
    const bytesBefore = store.stats('r1').bytes
    const next = await reopen()
    assert.deepEqual(next.store.routeIds().sort(), ['r1', 'r2'])
    assert.equal(next.store.queued('r1'), 8)
    assert.equal(next.store.stats('r1').bytes, bytesBefore)
    assert.deepEqual(drain(next.store, 'r1'), ['1', '3', ...numbers(4, 10)])
    assert.deepEqual(next.claimText('r2', 5), ['x'])
  })

  it('writes nothing for a message acked before its commit, and deletes one acked after', async (t) => {
    const { store, add, reopen } = await openStore(t)
    add('r', 'early')
    const [early] = store.claim('r', 1)
    store.ack('r', early!)
    add('r', 'late')
    await store.flush()
    const [late] = store.claim('r', 1)
    store.ack('r', late!)
    add('r', 'kept')
    const next = await reopen()
    assert.deepEqual(drain(next.store, 'r'), ['kept'])
  })

  it('keeps seq growing across restarts, also when the queue was empty', async (t) => {
    const { store, add, reopen } = await openStore(t)
    add('r', 'a')
    add('r', 'b')
    const claimed = store.claim('r', 2)
    for (const m of claimed) store.ack('r', m)
    const next = await reopen()
    assert.deepEqual(next.store.routeIds(), [])
    next.add('r', 'c')
    assert.ok(next.store.claim('r', 1)[0]!.seq > claimed[1]!.seq)
  })

  it('commits appends and acks on its own, without flush or close', async (t) => {
    const { store, add } = await openStore(t)
    add('r', 'a')
    add('r', 'b')
    assert.equal(store.uncommitted, 2)
    await waitUntil(() => store.uncommitted === 0, 'the group commit of two appends')
    store.ack('r', store.claim('r', 1)[0]!)
    assert.equal(store.uncommitted, 1)
    await waitUntil(() => store.uncommitted === 0, 'the group commit of an ack')
  })

  it('round-trips an empty payload, binary bytes and a unicode topic', async (t) => {
    const { store, reopen } = await openStore(t)
    const binary = Buffer.from([0, 255, 1, 254, 0])
    store.append('r', 'chännels/🙂', Buffer.alloc(0), 1)
    store.append('r', 't', binary, 2)
    const next = await reopen()
    const [empty, bin] = next.store.claim('r', 2)
    assert.equal(empty!.topic, 'chännels/🙂')
    assert.equal(empty!.payload.length, 0)
    assert.deepEqual(bin!.payload, binary)
    assert.equal(bin!.receivedAt, 2)
  })

  it('is returned by createStore for type "file"', async (t) => {
    const path = await makeTempDir('file-store-create')
    t.after(() => removeDir(path))
    const store = createStore({ type: 'file', path, maxBytes: 1 << 20, overflow: 'drop_oldest', maxAgeMs: 0 }, quiet)
    t.after(() => store.close())
    assert.ok(store instanceof FileStore)
    await store.open({ available: () => undefined, dropped: () => undefined })
    assert.equal(store.append('r', 't', Buffer.from('x'), 1), true)
  })

  it('closes idempotently', async (t) => {
    const { store, add } = await openStore(t)
    add('r', 'a')
    await store.close()
    await store.close()
    assert.equal(add('r', 'b'), false)
  })
})

describe('file store memory window', () => {
  it('keeps memory flat while 100,000 messages wait, and hands them out in order', async (t) => {
    const { store, add, reopen } = await openStore(t)
    const n = 100_000
    const window = 5000 // the default window of one route
    // One route's window + one commit batch: nothing is sent while the backlog builds (an outage),
    // so the burst allowance is not used.
    const bound = window + 2000
    let peak = 0
    const watch = (): void => {
      peak = Math.max(peak, store.residentMessages)
    }
    for (let i = 0; i < n; i++) {
      add('r', String(i), i)
      if (i % 1000 === 0) watch()
    }
    await store.flush()
    assert.ok(peak <= bound, `resident messages peaked at ${peak}`)
    assert.ok(store.residentMessages <= window, `${store.residentMessages} resident after flush`)
    assert.equal(store.queued('r'), n)
    assert.deepEqual(store.stats('r'), { messages: n, bytes: n * (1 + MESSAGE_OVERHEAD_BYTES) + sumDigits(n), oldestReceivedAt: 0 })

    // Half now, the rest after a restart: the window is rebuilt from disk.
    const half: string[] = []
    while (half.length < n / 2) {
      for (const m of store.claim('r', 100)) {
        half.push(m.payload.toString())
        store.ack('r', m)
      }
      watch()
    }
    assert.deepEqual(half, numbers(0, n / 2))
    const next = await reopen()
    assert.ok(next.store.residentMessages <= window)
    assert.equal(next.store.queued('r'), n / 2)
    assert.equal(next.store.stats('r').oldestReceivedAt, n / 2)
    assert.deepEqual(drain(next.store, 'r', 100), numbers(n / 2, n))
    assert.ok(peak <= bound, `resident messages peaked at ${peak}`)
  })

  it('bounds the window by bytes as well', async (t) => {
    const { store } = await openStore(t, { windowBytes: 10_000 })
    for (let i = 0; i < 100; i++) store.append('r', 't', Buffer.alloc(1000, i), i)
    await store.flush()
    assert.ok(store.residentMessages <= 10, `${store.residentMessages} resident`)
    const seen = drain(store, 'r', 3, () => assert.ok(store.residentMessages <= 10, `${store.residentMessages} resident while draining`))
    assert.equal(seen.length, 100)
    assert.deepEqual(
      seen.map((s) => s.charCodeAt(0)),
      Array.from({ length: 100 }, (_, i) => i),
    )
  })

  it('keeps a burst in memory while the link is up, within an allowance all routes share', async (t) => {
    const { store, add, claimText } = await openStore(t, { windowMessages: 2, burstMessages: 5 })
    // The link is down: beyond c's window, its backlog goes to disk.
    for (let i = 0; i < 10; i++) add('c', `c${i}`)
    await store.flush()
    assert.equal(store.residentMessages, 2)
    // The link is up: beyond a's window (2), the whole allowance (5) stays in memory.
    store.linkUp(true)
    add('a', 'a0')
    assert.deepEqual(claimText('a', 1), ['a0'])
    for (let i = 1; i < 11; i++) add('a', `a${i}`)
    add('b', 'b0')
    assert.deepEqual(claimText('b', 1), ['b0'])
    for (let i = 1; i < 5; i++) add('b', `b${i}`)
    await store.flush()
    // a: 1 in flight + 2 + 5; b: 1 in flight + its own window (the allowance is a's); c: 2.
    assert.equal(store.residentMessages, 8 + 3 + 2)
    assert.deepEqual(claimText('a', 100), numbers(1, 11).map((n) => `a${n}`))
    assert.deepEqual(claimText('b', 100), numbers(1, 5).map((n) => `b${n}`))
    // In flight, a's messages no longer use the allowance: b's next burst may.
    for (let i = 5; i < 13; i++) add('b', `b${i}`)
    await store.flush()
    assert.equal(store.residentMessages, 11 + 5 + 2 + 5 + 2) // in flight (a, b), b's window, the allowance, c
    assert.deepEqual(claimText('b', 100), numbers(5, 13).map((n) => `b${n}`))
    assert.deepEqual(claimText('c', 100), numbers(0, 10).map((n) => `c${n}`))
    // The link is down again: a burst goes to disk again.
    const before = store.residentMessages
    store.linkUp(false)
    for (let i = 0; i < 8; i++) add('b', `late${i}`)
    await store.flush()
    assert.equal(store.residentMessages, before + 2)
    assert.deepEqual(claimText('b', 100), numbers(0, 8).map((n) => `late${n}`))
  })

  it('keeps order and counts when new messages arrive while the backlog drains', async (t) => {
    const { store, add } = await openStore(t, { windowMessages: 10 })
    let next = 0
    for (; next < 100; next++) add('r', String(next))
    const seen: string[] = []
    while (seen.length < 300) {
      const claimed = store.claim('r', 3)
      for (const m of claimed) {
        seen.push(m.payload.toString())
        store.ack('r', m)
      }
      if (next < 300) for (let i = 0; i < 2; i++) add('r', String(next++))
      assert.equal(store.queued('r'), next - seen.length)
      if (seen.length % 50 === 0) await store.flush()
    }
    assert.deepEqual(seen, numbers(0, 300))
  })

  it('drop_oldest reaches past a window whose messages are all in flight', async (t) => {
    const size = 1 + 1 + MESSAGE_OVERHEAD_BYTES
    const { store, add, drops, claimText } = await openStore(t, { windowMessages: 2, maxBytes: size * 4 })
    for (const s of ['a', 'b', 'c', 'd']) add('r', s)
    assert.deepEqual(claimText('r', 2), ['a', 'b'])
    assert.equal(add('r', 'e'), true)
    assert.deepEqual(drops, [{ routeId: 'r', count: 1, reason: 'overflow' }])
    assert.equal(store.stats('r').messages, 4)
    assert.deepEqual(claimText('r', 10), ['d', 'e'])
  })

  it('max_age sweeps beyond the window, down to the first young message', async (t) => {
    const { store, add, drops, claimText } = await openStore(t, { windowMessages: 4, maxAgeMs: 1000 })
    for (let i = 0; i < 20; i++) add('r', `old${i}`, 1000 + i)
    add('r', 'young', 9_000)
    add('r', 'old-but-after', 10)
    await store.flush()
    store.sweepExpired(9_500)
    assert.deepEqual(drops, [{ routeId: 'r', count: 20, reason: 'max_age' }])
    assert.deepEqual(claimText('r', 10), ['young', 'old-but-after'])
  })

  it('keeps onSettled of messages that waited on disk', async (t) => {
    const { store } = await openStore(t, { windowMessages: 2 })
    const delivered: number[] = []
    for (let i = 0; i < 6; i++) store.append('r', 't', Buffer.from(String(i)), i, () => delivered.push(i))
    await store.flush()
    for (const m of store.claim('r', 10)) m.onSettled?.('delivered')
    assert.deepEqual(delivered, [0, 1, 2, 3, 4, 5])
  })
})

describe('file store against the memory store', () => {
  for (const [seed, overflow] of [[1, 'drop_oldest'], [2, 'drop_newest'], [3, 'drop_oldest'], [4, 'drop_oldest']] as const) {
    it(`behaves the same over random operations, restarts included (seed ${seed}, ${overflow})`, async (t) => {
      const random = lcg(seed)
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
      const limits = { maxBytes: 2500, overflow, maxAgeMs: 0 }
      let file = await openStore(t, { ...limits, windowMessages: 3, windowBytes: 400, burstMessages: 4, burstBytes: 600 })
      const memory = new MemoryStore(limits)
      const memoryDrops: typeof file.drops = []
      await memory.open({ available: () => undefined, dropped: (routeId, count, reason) => memoryDrops.push({ routeId, count, reason }) })
      const routes = ['r1', 'r2', 'r3']
      // Claimed and not yet acked or released, as pairs (file store's message, memory store's message).
      let inFlight: Array<{ route: string; f: StoredMessage; m: StoredMessage }> = []
      const view = (msgs: StoredMessage[]) => msgs.map((x) => `${x.seq}:${x.topic}:${x.payload.toString('hex')}:${x.receivedAt}`)
      let clock = 0
      let dropsBefore = 0
      for (let step = 0; step < 3000; step++) {
        // The link up for 250 steps, then down for 250: bursts kept in memory, then written only.
        file.store.linkUp(Math.floor(step / 250) % 2 === 0)
        const op = random()
        const route = pick(routes)
        let what: string
        if (op < 0.45) {
          const payload = Buffer.alloc(Math.floor(random() * 60), step % 256)
          what = `append ${route} ${payload.length}`
          assert.equal(file.store.append(route, `t/${route}`, Buffer.from(payload), clock), memory.append(route, `t/${route}`, payload, clock), what)
          clock++
        } else if (op < 0.65) {
          const max = 1 + Math.floor(random() * 5)
          what = `claim ${route} ${max}`
          const f = file.store.claim(route, max)
          const m = memory.claim(route, max)
          assert.deepEqual(view(f), view(m), what)
          f.forEach((x, i) => inFlight.push({ route, f: x, m: m[i]! }))
        } else if (op < 0.82 && inFlight.length > 0) {
          const i = Math.floor(random() * inFlight.length)
          const { route: r, f, m } = inFlight.splice(i, 1)[0]!
          what = `ack ${r} ${f.seq}`
          file.store.ack(r, f)
          memory.ack(r, m)
        } else if (op < 0.9 && inFlight.length > 0) {
          const i = Math.floor(random() * inFlight.length)
          const { route: r, f, m } = inFlight.splice(i, 1)[0]!
          what = `release ${r} ${f.seq}`
          file.store.release(r, f)
          memory.release(r, m)
        } else if (op < 0.93) {
          what = `releaseAll ${route}`
          file.store.releaseAll(route)
          memory.releaseAll(route)
          inFlight = inFlight.filter((x) => x.route !== route)
        } else if (op < 0.96) {
          what = `sweep ${clock - 40}`
          file.store.sweepExpired(clock - 40)
          memory.sweepExpired(clock - 40)
        } else if (op < 0.99) {
          what = 'flush'
          await file.store.flush()
        } else {
          // A restart: every in-flight message is queued again, as releaseAll does in memory.
          what = 'restart'
          file = await file.reopen()
          for (const r of routes) memory.releaseAll(r)
          inFlight = []
          dropsBefore = memoryDrops.length
        }
        for (const r of routes) {
          assert.deepEqual(file.store.stats(r), memory.stats(r), `stats ${r} after step ${step}: ${what}`)
          assert.equal(file.store.queued(r), memory.queued(r), `queued ${r} after step ${step}: ${what}`)
        }
        // Counted per route and reason: after a restart a sweep may visit the routes in another order.
        assert.deepEqual(tally(file.drops), tally(memoryDrops.slice(dropsBefore)), `drops after step ${step}: ${what}`)
      }
      assert.ok(memoryDrops.length > 0, 'the bound was never reached')
      await memory.close()
    })
  }
})

function tally(drops: ReadonlyArray<{ routeId: string; count: number; reason: DropReason }>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const d of drops) counts[`${d.routeId} ${d.reason}`] = (counts[`${d.routeId} ${d.reason}`] ?? 0) + d.count
  return counts
}

/** A small deterministic pseudo-random generator (numbers in [0, 1)). */
function lcg(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/** Total number of decimal digits of 0 … n-1. */
function sumDigits(n: number): number {
  let total = 0
  for (let i = 0; i < n; i++) total += String(i).length
  return total
}

/** Polls `done` every 2 ms until it holds; fails after 2 s. */
async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
