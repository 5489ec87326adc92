// Store throughput: file store (SQLite, group commit) against the memory store, 100-byte messages.
// Run: npx tsc -p . && node dist/bench/store-throughput.js [messages]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as tick } from 'node:timers/promises'
import { FileStore } from '../src/store/file-store.js'
import { MemoryStore } from '../src/store/memory-store.js'
import type { MessageStore } from '../src/store/store.js'

const TOTAL = Number(process.argv[2] ?? 200_000)
const BATCH = 1000
const TOPIC = 'channels/4a5c1e2f-0000-4000-8000-000000000000/messages/export/temp'
const limits = { maxBytes: 4 * 1024 ** 3, overflow: 'drop_oldest' as const, maxAgeMs: 0 }
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

function payload(): Buffer {
  return Buffer.alloc(100, 0x61)
}

/**
 * Link up: each tick appends a batch and claims it. `ackAfterCommit` false: acked before the group
 * commit, insert and delete cancel (fast broker). True: the batch is committed first, then acked:
 * every message is inserted, then deleted (the worst case of the live path).
 */
async function live(store: MessageStore, ackAfterCommit: boolean): Promise<number> {
  const start = performance.now()
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    for (let i = 0; i < BATCH; i++) store.append('r', TOPIC, payload(), Date.now())
    const batch = store.claim('r', BATCH)
    if (ackAfterCommit) await store.flush()
    for (const m of batch) store.ack('r', m)
    await tick()
  }
  await store.flush()
  if (store.stats('r').messages !== 0) throw new Error('live: messages left')
  return TOTAL / ((performance.now() - start) / 1000)
}

/** Link down, then up: append everything (committed to disk), then drain in order. */
async function backlog(store: MessageStore): Promise<{ append: number; drain: number }> {
  let start = performance.now()
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    for (let i = 0; i < BATCH; i++) store.append('r', TOPIC, payload(), Date.now())
    await tick()
  }
  await store.flush()
  const append = TOTAL / ((performance.now() - start) / 1000)
  start = performance.now()
  let drained = 0
  for (;;) {
    const batch = store.claim('r', 100)
    if (batch.length === 0) break
    for (const m of batch) store.ack('r', m)
    drained += batch.length
    if (drained % 10_000 === 0) await tick()
  }
  await store.flush()
  if (drained !== TOTAL) throw new Error(`drained ${drained} of ${TOTAL}`)
  return { append, drain: TOTAL / ((performance.now() - start) / 1000) }
}

async function withStore<T>(kind: 'file' | 'memory', fn: (store: MessageStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'mfx-bench-'))
  const store = kind === 'file' ? new FileStore({ path: dir, ...limits }, quiet) : new MemoryStore(limits)
  await store.open({ available: () => undefined, dropped: () => undefined })
  try {
    return await fn(store)
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

const k = (n: number): string => `${Math.round(n / 1000)}k msg/s`
for (const kind of ['memory', 'file'] as const) {
  const cancel = await withStore(kind, (s) => live(s, false))
  const lagged = await withStore(kind, (s) => live(s, true))
  const b = await withStore(kind, backlog)
  console.log(`${kind.padEnd(6)}  live, ack at once: ${k(cancel)}   live, ack after commit: ${k(lagged)}   backlog append: ${k(b.append)}   backlog drain: ${k(b.drain)}`)
}
