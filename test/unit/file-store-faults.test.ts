import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { StoreError } from '../../src/errors.js'
import { FileStore } from '../../src/store/file-store.js'
import type { FileStoreConfig, StoreLogger } from '../../src/store/file-store.js'
import type { DropReason } from '../../src/store/store.js'

interface LogEntry {
  level: 'info' | 'warn' | 'error'
  fields: object
  message: string
}

function recordingLog(): { log: StoreLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = []
  const at = (level: LogEntry['level']) => (fields: object, message: string) => {
    entries.push({ level, fields, message })
  }
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, entries }
}

async function tempDir(t: TestContext, purpose: string): Promise<string> {
  const dir = await makeTempDir(purpose)
  t.after(() => removeDir(dir))
  return dir
}

async function openStore(t: TestContext, path: string, options: Partial<Omit<FileStoreConfig, 'path'>> = {}) {
  const { log, entries } = recordingLog()
  const store = new FileStore({ path, maxBytes: 1 << 30, overflow: 'drop_oldest', maxAgeMs: 0, ...options }, log)
  t.after(() => store.close())
  const drops: Array<{ routeId: string; count: number; reason: DropReason }> = []
  await store.open({ available: () => undefined, dropped: (routeId, count, reason) => drops.push({ routeId, count, reason }) })
  return { store, entries, drops }
}

function drain(store: FileStore, route: string): string[] {
  const seen: string[] = []
  for (let claimed = store.claim(route, 100); claimed.length > 0; claimed = store.claim(route, 100)) {
    for (const m of claimed) {
      seen.push(m.payload.toString())
      store.ack(route, m)
    }
  }
  return seen
}

async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs}ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const isUnavailable = (dir: string, detail: RegExp) => (err: unknown) => {
  assert.ok(err instanceof StoreError, `not a StoreError: ${String(err)}`)
  assert.equal(err.code, 'EXP_STORE_UNAVAILABLE')
  assert.ok(err.message.includes(dir), `message does not name ${dir}: ${err.message}`)
  assert.match(err.message, detail)
  return true
}

/**
 * The child appends N messages in chunks (as NATS callbacks would), prints how many, keeps
 * appending one more every 5 ms, and prints "waited" 150 ms later; the test then kills it.
 * N is not a multiple of the commit batch, so the last messages are committed by the timer alone.
 */
const CHILD = `
const { FileStore } = await import(process.env.STORE_MODULE)
const quiet = { info() {}, warn() {}, error() {} }
const store = new FileStore({ path: process.env.STORE_DIR, maxBytes: 2 ** 30, overflow: 'drop_oldest', maxAgeMs: 0 }, quiet)
await store.open({ available() {}, dropped() {} })
const total = Number(process.env.COUNT)
let n = 0
while (n < total) {
  for (let i = 0; i < 500 && n < total; i++) store.append('r', 't', Buffer.from(String(n++)), Date.now())
  await new Promise((resolve) => setImmediate(resolve))
}
process.stdout.write('appended ' + n + '\\n')
setInterval(() => store.append('r', 't', Buffer.from(String(n++)), Date.now()), 5)
setTimeout(() => process.stdout.write('waited\\n'), 150)
`

describe('file store faults', () => {
  it('keeps every message appended more than 100 ms before a kill -9', async (t) => {
    const dir = await tempDir(t, 'file-store-kill')
    const count = 20_777
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      env: { ...process.env, STORE_DIR: dir, COUNT: String(count), STORE_MODULE: new URL('../../src/store/file-store.js', import.meta.url).href },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    t.after(() => child.kill('SIGKILL'))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    let appended = -1
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('appended ')) appended = Number(line.slice('appended '.length))
      if (line === 'waited') break
    }
    child.kill('SIGKILL')
    assert.equal(await exited, 'SIGKILL')
    assert.equal(appended, count)

    const { store } = await openStore(t, dir)
    const seen = drain(store, 'r')
    assert.ok(seen.length >= count, `only ${seen.length} of ${count} messages survived`)
    // Every one of them, in order, and whatever came after them without a gap.
    assert.ok(
      seen.every((s, i) => s === String(i)),
      'messages out of order or missing',
    )
  })

  it('moves a corrupt database aside, logs it, and starts with an empty queue', async (t) => {
    const dir = await tempDir(t, 'file-store-corrupt')
    const first = await openStore(t, dir)
    first.store.append('r', 't', Buffer.from('lost'), 1)
    await first.store.close()
    const garbage = Buffer.alloc(64 * 1024, 'garbage!')
    writeFileSync(join(dir, 'queue.db'), garbage)

    const { store, entries } = await openStore(t, dir)
    assert.deepEqual(store.routeIds(), [])
    const aside = readdirSync(dir).filter((f) => f.startsWith('queue.db.corrupt-'))
    assert.equal(aside.length, 1, `files: ${readdirSync(dir).join(', ')}`)
    assert.match(aside[0]!, /^queue\.db\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/)
    assert.deepEqual(readFileSync(join(dir, aside[0]!)), garbage)
    const errors = entries.filter((e) => e.level === 'error')
    assert.equal(errors.length, 1)
    assert.match(errors[0]!.message, /corrupt/)
    assert.equal((errors[0]!.fields as { movedTo?: string }).movedTo, join(dir, aside[0]!))
    assert.match(store.lastError ?? '', /corrupt, moved aside/)

    // The fresh database works and survives a restart.
    store.append('r', 't', Buffer.from('new'), 2)
    await store.close()
    const again = await openStore(t, dir)
    assert.deepEqual(drain(again.store, 'r'), ['new'])
  })

  it('finds damaged pages of large payloads at open, not half-way through the backlog', async (t) => {
    const dir = await tempDir(t, 'file-store-bad-page')
    const first = await openStore(t, dir)
    // 8 KiB payloads live mostly in overflow pages, which counting the queue at open does not read.
    for (let i = 0; i < 200; i++) first.store.append('r', 't', Buffer.alloc(8192, i), i)
    await first.store.close()
    const file = join(dir, 'queue.db')
    const bytes = readFileSync(file)
    assert.ok(bytes.length > 300 * 4096, `database is only ${bytes.length} bytes`)
    bytes.fill(0x5a, 200 * 4096, 210 * 4096) // header and schema intact, ten pages in the middle destroyed
    writeFileSync(file, bytes)

    const { store, entries } = await openStore(t, dir)
    assert.deepEqual(store.routeIds(), [])
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('queue.db.corrupt-')).length, 1)
    assert.equal(entries.filter((e) => e.level === 'error').length, 1)
  })

  it('rejects with EXP_STORE_UNAVAILABLE, naming the directory, when it cannot be created', async (t) => {
    const dir = await tempDir(t, 'file-store-unwritable')
    const file = join(dir, 'a-file')
    writeFileSync(file, 'not a directory')
    const path = join(file, 'store')
    const store = new FileStore({ path, maxBytes: 1 << 20, overflow: 'drop_oldest', maxAgeMs: 0 }, recordingLog().log)
    t.after(() => store.close())
    await assert.rejects(store.open({ available: () => undefined, dropped: () => undefined }), isUnavailable(path, /cannot be created/))
  })

  it('rejects a second store on the same directory while the first is open', async (t) => {
    const dir = await tempDir(t, 'file-store-locked')
    const { store: first } = await openStore(t, dir)
    first.append('r', 't', Buffer.from('a'), 1)
    await first.flush()
    const second = new FileStore({ path: dir, maxBytes: 1 << 20, overflow: 'drop_oldest', maxAgeMs: 0 }, recordingLog().log)
    t.after(() => second.close())
    await assert.rejects(second.open({ available: () => undefined, dropped: () => undefined }), isUnavailable(dir, /in use by another process/))
    await first.close()
    const { store: third } = await openStore(t, dir)
    assert.deepEqual(drain(third, 'r'), ['a'])
  })

  it('refuses a database written by a newer version and leaves it alone', async (t) => {
    const dir = await tempDir(t, 'file-store-newer')
    const db = new Database(join(dir, 'queue.db'))
    db.pragma('user_version = 99')
    db.close()
    const store = new FileStore({ path: dir, maxBytes: 1 << 20, overflow: 'drop_oldest', maxAgeMs: 0 }, recordingLog().log)
    t.after(() => store.close())
    await assert.rejects(store.open({ available: () => undefined, dropped: () => undefined }), isUnavailable(dir, /schema version 99/))
    assert.deepEqual(readdirSync(dir), ['queue.db'])
  })

  it('stops taking messages when the disk is full, keeps what it buffered, and resumes', async (t) => {
    const dir = await tempDir(t, 'file-store-full')
    // 48 pages of 4 KiB: SQLite itself answers SQLITE_FULL, as on a full disk.
    const options = { maxPageCount: 48, windowMessages: 8 }
    const { store, entries, drops } = await openStore(t, dir, options)
    const payload = (i: number): Buffer => Buffer.from(`${i}:`.padEnd(2000, '.'))
    let accepted = 0
    let flushError: unknown
    while (flushError === undefined) {
      assert.ok(accepted < 10_000, 'the disk never filled up')
      for (let i = 0; i < 10; i++) assert.equal(store.append('r', 't', payload(accepted++), 1), true)
      await store.flush().catch((err: unknown) => (flushError = err))
    }
    assert.ok(flushError instanceof StoreError, 'flush did not reject with a StoreError')
    assert.equal(flushError.code, 'EXP_STORE_FULL')
    assert.equal(store.diskFull, true)
    assert.match(store.lastError ?? '', /disk full/)
    assert.equal(store.queued('r'), accepted)

    // New messages are refused and reported; nothing already accepted is lost.
    assert.equal(store.append('r', 't', payload(-1), 1), false)
    assert.deepEqual(drops, [{ routeId: 'r', count: 1, reason: 'disk_full' }])
    assert.equal(store.queued('r'), accepted)

    // The whole queue can still be handed out in order, the messages not yet on disk included.
    const everything = store.claim('r', accepted).map((m) => m.payload.toString().split(':')[0])
    assert.deepEqual(everything, Array.from({ length: accepted }, (_, i) => String(i)))
    store.releaseAll('r')

    // An ack frees too little for the buffered inserts, but its delete is committed on its own.
    const buffered = store.uncommitted
    const [oldest] = store.claim('r', 1)
    store.ack('r', oldest!)
    assert.equal(store.uncommitted, buffered + 1)
    await waitUntil(() => store.uncommitted === buffered, 5000, 'the delete to be committed alone')
    assert.equal(store.diskFull, true)
    const sent: string[] = [oldest!.payload.toString().split(':')[0]!]

    // The backlog drains (acks delete rows, freeing pages): the retry commits and appends resume.
    const half = Math.floor(accepted / 2)
    while (sent.length < half) {
      for (const m of store.claim('r', Math.min(5, half - sent.length))) {
        sent.push(m.payload.toString().split(':')[0]!)
        store.ack('r', m)
      }
    }
    await waitUntil(() => !store.diskFull, 5000, 'the store to take messages again')
    assert.equal(store.lastError, undefined)
    assert.equal(store.append('r', 't', payload(accepted), 1), true)
    await store.flush()
    const diskFullLogs = entries.filter((e) => e.level === 'error')
    assert.equal(diskFullLogs.length, 1, 'the failure is logged once, not at every retry')
    assert.match(diskFullLogs[0]!.message, /disk full/)
    assert.ok(entries.some((e) => e.level === 'info' && /writable again/.test(e.message)))

    // What was buffered during the outage of the disk survived too.
    await store.close()
    const { store: reopened } = await openStore(t, dir, options)
    const rest = drain(reopened, 'r').map((s) => s.split(':')[0]!)
    const expected = Array.from({ length: accepted + 1 - half }, (_, i) => String(half + i))
    assert.deepEqual(sent, Array.from({ length: half }, (_, i) => String(i)))
    assert.deepEqual(rest, expected)
  })
})
