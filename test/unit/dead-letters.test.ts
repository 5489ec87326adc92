import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { FileStore } from '../../src/store/file-store.js'
import type { StoreLogger } from '../../src/store/file-store.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { MessageStore, DropReason } from '../../src/store/store.js'

const quiet: StoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined }

interface Opened {
  store: MessageStore
  drops: Array<{ routeId: string; reason: DropReason }>
  available: string[]
  reopen?: () => Promise<Opened>
  path?: string
}

async function openFile(t: TestContext, dir?: string, maxBytes = 1 << 30): Promise<Opened> {
  const path = dir ?? (await makeTempDir('dead-letters'))
  if (dir === undefined) t.after(() => removeDir(path))
  const store = new FileStore({ path, maxBytes, overflow: 'drop_oldest', maxAgeMs: 0 }, quiet)
  t.after(() => store.close())
  const drops: Opened['drops'] = []
  const available: string[] = []
  await store.open({ available: (r) => available.push(r), dropped: (routeId, _n, reason) => drops.push({ routeId, reason }) })
  return {
    store,
    drops,
    available,
    path,
    reopen: async () => {
      await store.close()
      return openFile(t, path, maxBytes)
    },
  }
}

async function openMemory(maxBytes = 1 << 30): Promise<Opened> {
  const store = new MemoryStore({ maxBytes, overflow: 'drop_oldest', maxAgeMs: 0 })
  const drops: Opened['drops'] = []
  const available: string[] = []
  await store.open({ available: (r) => available.push(r), dropped: (routeId, _n, reason) => drops.push({ routeId, reason }) })
  return { store, drops, available }
}

const add = (store: MessageStore, route: string, ...texts: string[]): void => {
  for (const text of texts) store.append(route, `t/${text}`, Buffer.from(text), 1000)
}
/** Claims everything of the route, acks all but `keep`, and returns the kept message. */
const claimAll = (store: MessageStore, route: string) => store.claim(route, 1000)

for (const kind of ['memory', 'file'] as const) {
  const open = (t: TestContext): Promise<Opened> => (kind === 'file' ? openFile(t) : openMemory())

  describe(`dead letters of the ${kind} store (issue 10)`, () => {
    it('takes a claimed message out of the queue into the dead-letter table, with its reason and detail', async (t) => {
      const { store } = await open(t)
      add(store, 'r', 'a', 'poison', 'b')
      const [a, poison, b] = claimAll(store, 'r')
      store.ack('r', a!)
      store.deadLetter('r', poison!, 'too_large', 'packet of 2 MB')
      store.ack('r', b!)
      assert.equal(store.stats('r').messages, 0)
      assert.deepEqual(
        store.deadLetters().map((d) => [d.seq, d.route, d.topic, d.bytes, d.reason, d.detail]),
        [[poison!.seq, 'r', 't/poison', 6, 'too_large', 'packet of 2 MB']],
      )
      const summary = store.deadLetterSummary(Date.now())
      assert.equal(summary.total, 1)
      assert.equal(summary.lastHour, 1)
      assert.equal(store.deadLetterSummary(Date.now() + 3_600_001).lastHour, 0, 'the warning lasts an hour')
    })

    it('replays a dead letter at its place: ahead of the messages that came after it and are still queued', async (t) => {
      const { store, available } = await open(t)
      add(store, 'r', '1', '2', '3')
      const [one, two, three] = claimAll(store, 'r')
      store.ack('r', one!)
      store.deadLetter('r', two!, 'repeated_disconnect', 'dropped')
      store.release('r', three!)
      add(store, 'r', '4')
      available.length = 0
      assert.deepEqual(store.replayDeadLetters('all').map((d) => d.seq), [two!.seq])
      assert.deepEqual(available, ['r'])
      assert.deepEqual(store.deadLetters(), [])
      assert.deepEqual(claimAll(store, 'r').map((m) => m.payload.toString()), ['2', '3', '4'])
    })

    it('replays and purges only the dead letters named, and says which', async (t) => {
      const { store } = await open(t)
      add(store, 'r', 'a', 'b', 'c')
      const claimed = claimAll(store, 'r')
      for (const m of claimed) store.deadLetter('r', m, 'topic', 'bad topic')
      const [a, b, c] = claimed.map((m) => m.seq)
      assert.deepEqual(store.purgeDeadLetters([b!, 999]).map((d) => d.seq), [b])
      assert.deepEqual(store.replayDeadLetters([c!]).map((d) => d.seq), [c])
      assert.deepEqual(store.deadLetters().map((d) => d.seq), [a])
      assert.deepEqual(claimAll(store, 'r').map((m) => m.payload.toString()), ['c'])
      assert.equal(store.purgeDeadLetters('all').length, 1)
      assert.equal(store.deadLetterSummary(Date.now()).total, 0)
    })
  })
}

describe('dead letters of the file store across a restart (issue 10)', () => {
  it('keeps dead letters on disk, out of the queue, and a replay made before a restart is sent after it, in order', async (t) => {
    const first = await openFile(t)
    add(first.store, 'r', 'a', 'poison', 'b', 'c')
    const [a, poison] = claimAll(first.store, 'r')
    first.store.ack('r', a!)
    first.store.deadLetter('r', poison!, 'too_large', 'big')
    const second = await first.reopen!()
    assert.deepEqual(second.store.deadLetters().map((d) => [d.seq, d.reason]), [[poison!.seq, 'too_large']])
    assert.equal(second.store.stats('r').messages, 2, 'b and c are queued, the dead letter is not')
    assert.equal(second.store.recoveredSeq, poison!.seq + 2)
    second.store.replayDeadLetters('all')
    const third = await second.reopen!()
    assert.deepEqual(third.store.deadLetters(), [])
    assert.deepEqual(claimAll(third.store, 'r').map((m) => m.payload.toString()), ['poison', 'b', 'c'])
  })

  it('moves a message that was still waiting for its group commit', async (t) => {
    const { store, reopen, path } = await openFile(t)
    add(store, 'r', 'x')
    const [x] = claimAll(store, 'r')
    store.deadLetter('r', x!, 'topic', 'bad') // within the 20 ms before the commit
    const again = await reopen!()
    assert.equal(again.store.stats('r').messages, 0)
    assert.equal(again.store.deadLetters().length, 1)
    await again.store.close()
    const db = new Database(`${path}/queue.db`, { readonly: true })
    t.after(() => db.close())
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM messages').get(), { n: 0 })
  })

  it('discards the oldest dead letters beyond an eighth of max_bytes, and counts them', async (t) => {
    const { store, drops } = await openFile(t, undefined, 8 * 1024 * 1024) // dead letters: 1 MiB
    for (let i = 0; i < 5; i++) store.append('r', 't', Buffer.alloc(300 * 1024), 0)
    for (const m of claimAll(store, 'r')) store.deadLetter('r', m, 'too_large', 'big')
    assert.equal(store.deadLetters().length, 3)
    assert.deepEqual(drops, [
      { routeId: 'r', reason: 'dead_letter_full' },
      { routeId: 'r', reason: 'dead_letter_full' },
    ])
  })
})
