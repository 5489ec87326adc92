import { stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { StoreConfig, StoreKind } from '../config/types.js'
import { describeError } from '../errors.js'
import { DB_FILE } from '../store/sqlite-queue.js'

/** The store's room, as /status, /metrics and the status page show it. */
export interface StoreUsage {
  /**
   * What the store takes: its database and WAL on disk (file store; `max_bytes` bounds both), or
   * the bytes queued in memory (memory store).
   */
  usedBytes: number
  /** `[store] max_bytes`. */
  maxBytes: number
  /** Free space of the file system under the file store, for the service's user; undefined for memory. */
  diskFreeBytes: number | undefined
  /** Size of that file system; undefined for memory. */
  diskTotalBytes: number | undefined
  /** Why the file system could not be read, if it could not. */
  error: string | undefined
}

/** The store's files are read at most this often, however many pages and scrapers ask. */
const CACHE_MS = 1000

/**
 * Reads how much room the store takes and how much its file system has left: two `stat`s and a
 * `statfs`, cached for a second and shared by concurrent callers.
 */
export class StoreUsageReader {
  readonly #config: StoreConfig
  readonly #queuedBytes: () => number
  #cached: { at: number; usage: Promise<StoreUsage> } | undefined

  /**
   * `config` is the store in use (a reload never changes it: see Service.applyConfig);
   * `queuedBytes` the bytes waiting in all routes, the whole of a memory store.
   */
  constructor(config: StoreConfig, queuedBytes: () => number) {
    this.#config = config
    this.#queuedBytes = queuedBytes
  }

  /** The store's type: it never changes while the service runs. */
  get kind(): StoreKind {
    return this.#config.type
  }

  read(now = Date.now()): Promise<StoreUsage> {
    if (this.#cached === undefined || now - this.#cached.at >= CACHE_MS) this.#cached = { at: now, usage: this.#read() }
    return this.#cached.usage
  }

  async #read(): Promise<StoreUsage> {
    const config = this.#config
    if (config.type === 'memory') return { usedBytes: this.#queuedBytes(), maxBytes: config.maxBytes, diskFreeBytes: undefined, diskTotalBytes: undefined, error: undefined }
    const file = join(config.path, DB_FILE)
    const sizes = await Promise.all([file, `${file}-wal`].map((f) => stat(f).then((s) => s.size, () => 0)))
    const usedBytes = sizes.reduce((a, b) => a + b, 0)
    try {
      const fs = await statfs(config.path)
      return { usedBytes, maxBytes: config.maxBytes, diskFreeBytes: fs.bavail * fs.bsize, diskTotalBytes: fs.blocks * fs.bsize, error: undefined }
    } catch (err: unknown) {
      return { usedBytes, maxBytes: config.maxBytes, diskFreeBytes: undefined, diskTotalBytes: undefined, error: `store ${config.path}: ${describeError(err)}` }
    }
  }
}
