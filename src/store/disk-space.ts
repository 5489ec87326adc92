import type Database from 'better-sqlite3'
import { describeError } from '../errors.js'
import type { StoreLogger } from './sqlite-queue.js'

const KiB = 1024
const MiB = 1024 * KiB
/** The WAL never needs more than this, however large the store (the former fixed limit). */
const MAX_WAL_BYTES = 64 * MiB
/** ... nor less than this: a smaller WAL checkpoints (and fsyncs) too often for no gain. */
const MIN_WAL_BYTES = 256 * KiB
/** SQLite's own default: a checkpoint every 1,000 pages of WAL. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000
/** Free space worth giving back: less is left for later inserts to reuse. */
const MIN_RECLAIM_BYTES = 1 * MiB
/** Pages moved per step when space is given back while messages remain (bounded work per commit). */
const MAX_RECLAIM_STEP_PAGES = 2048
const AUTO_VACUUM_INCREMENTAL = 2

/**
 * The WAL's share of `[store] max_bytes`: an eighth, between 256 KiB and 64 MiB. `max_bytes` bounds
 * the store on disk, WAL included (issue 10): the WAL is checkpointed when it reaches this size and
 * cut back to it afterwards (`wal_autocheckpoint`, `journal_size_limit`).
 */
export function walLimitBytes(maxBytes: number): number {
  return Math.min(MAX_WAL_BYTES, Math.max(MIN_WAL_BYTES, Math.floor(maxBytes / 16)))
}

/**
 * Keeps the store's files within their bounds and gives space back once the queue drains.
 *
 * - The WAL: checkpointed every {@link walLimitBytes} (or SQLite's 1,000 pages if that is less) and
 *   truncated to that size after a checkpoint, instead of 4 MiB and 64 MiB whatever the store size.
 * - The database file: deleted rows free pages that later inserts reuse, but SQLite never shrinks
 *   the file by itself. Files are created with `auto_vacuum = INCREMENTAL`; when at least three
 *   quarters of the file are free pages (and at least 1 MiB, or the WAL limit if smaller), they are handed back
 *   to the file system with `incremental_vacuum`, a bounded number per commit while messages remain
 *   (it moves live pages), all at once when the queue is empty (nothing to move), and the WAL is
 *   then truncated. A file made by an earlier version (no auto-vacuum) is converted by one VACUUM
 *   the first time its queue is empty: cheap then, as there is no row to copy.
 *
 * Every call is synchronous and runs between transactions; a failure (disk full) is left for the
 * next commit to retry: giving space back is never worth losing a message.
 */
export class DiskSpace {
  readonly #db: Database.Database
  readonly #pageSize: number
  readonly #reclaimMinPages: number
  readonly #stepPages: number
  readonly #isEmpty: () => boolean
  readonly #log: StoreLogger
  #incremental: boolean
  #lastFailure: string | undefined

  /**
   * Sets the pragmas; call before the schema is created, so that a new file gets auto-vacuum.
   * `isEmpty` says whether the queue holds no message.
   */
  constructor(db: Database.Database, maxBytes: number, isEmpty: () => boolean, log: StoreLogger) {
    this.#db = db
    this.#isEmpty = isEmpty
    this.#log = log
    // Takes effect at once on a new file; on an older one, at its next VACUUM (see reclaim()).
    db.pragma(`auto_vacuum = ${AUTO_VACUUM_INCREMENTAL}`)
    this.#pageSize = Number(db.pragma('page_size', { simple: true }))
    const walLimit = walLimitBytes(maxBytes)
    const walPages = Math.max(16, Math.floor(walLimit / this.#pageSize))
    db.pragma(`wal_autocheckpoint = ${Math.min(DEFAULT_AUTOCHECKPOINT_PAGES, walPages)}`)
    db.pragma(`journal_size_limit = ${walLimit}`)
    this.#reclaimMinPages = Math.min(walPages, Math.floor(MIN_RECLAIM_BYTES / this.#pageSize))
    this.#stepPages = Math.min(MAX_RECLAIM_STEP_PAGES, walPages)
    this.#incremental = this.#autoVacuum() === AUTO_VACUUM_INCREMENTAL
  }

  /**
   * After a commit: gives free pages back to the file system when the file is mostly free.
   * Returns the number of pages given back (0 most of the time: two header reads).
   */
  reclaim(): number {
    const pages = this.#pragmaNumber('page_count')
    const free = this.#pragmaNumber('freelist_count')
    if (free < this.#reclaimMinPages || free * 4 < pages * 3) return 0
    const empty = this.#isEmpty()
    if (!this.#incremental && !empty) return 0
    try {
      if (!this.#incremental) {
        // An older file: one VACUUM of an empty queue switches it to incremental auto-vacuum.
        this.#db.exec('VACUUM')
        this.#incremental = this.#autoVacuum() === AUTO_VACUUM_INCREMENTAL
      } else {
        this.#db.exec(empty ? 'PRAGMA incremental_vacuum' : `PRAGMA incremental_vacuum(${this.#stepPages})`)
      }
      // Drained: the WAL is given back too, down to nothing.
      if (empty) this.#db.pragma('wal_checkpoint(TRUNCATE)')
    } catch (err: unknown) {
      // Disk full or I/O error: the next commit tries again. Said once per distinct error.
      const text = describeError(err)
      if (text !== this.#lastFailure) this.#log.warn({ err: text }, 'store could not give free space back; will retry')
      this.#lastFailure = text
      return 0
    }
    this.#lastFailure = undefined
    return pages - this.#pragmaNumber('page_count')
  }

  #autoVacuum(): number {
    return this.#pragmaNumber('auto_vacuum')
  }

  #pragmaNumber(name: string): number {
    return Number(this.#db.pragma(name, { simple: true }))
  }
}
