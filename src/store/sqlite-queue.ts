import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { describeError, StoreError } from '../errors.js'
import { DeadLetterTable } from './dead-letter-table.js'
import { CorruptionFound, isCorruption, moveAside, sqliteCode } from './corrupt.js'
import { DiskSpace } from './disk-space.js'
import { MessageState } from './message.js'
import type { StoredMessage } from './message.js'
import { prepareStoreDir, protectStoreFiles } from './store-files.js'

/** What the file store logs with: pino's Logger fits, and so does a small fake in tests. */
export interface StoreLogger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
  error(fields: object, message: string): void
}

/**
 * One row of `messages` as loaded back into a route's window: `[seq, topic, payload, received_at,
 * bytes]`. An array, not an object: better-sqlite3's raw mode builds rows about twice as fast, and
 * a backlog is read back at tens of thousands of rows a second.
 */
export type DiskRow = [seq: number, topic: string, payload: Buffer, receivedAt: number, bytes: number]

/** Options of {@link SqliteQueue.open}. */
export interface SqliteQueueOptions {
  /** `[store] max_bytes`: the WAL's bound and when free space is given back derive from it. */
  maxBytes: number
  /** Test only: SQLite's `max_page_count` (see FileStoreConfig). */
  maxPageCount?: number
}

/** A route found with messages in the database at open. */
export interface RecoveredRoute {
  name: string
  routeNo: number
  messages: number
  bytes: number
}

export const DB_FILE = 'queue.db'
/** Rows per multi-row INSERT (6 parameters each; SQLite allows 32,766). */
const ROWS_PER_INSERT = 50
const SCHEMA_VERSION = 1
/** How long `open` waits for a lock held by another process before calling the store in use. */
const LOCK_TIMEOUT_MS = 1000

// payload is the last column: counting a route's bytes at open then reads only the start of each
// row, never the overflow pages of large payloads.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS routes (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
  CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY,
    route INTEGER NOT NULL,
    topic TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    payload BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS messages_by_route ON messages (route, seq);
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  PRAGMA user_version = ${SCHEMA_VERSION};
`

/**
 * The disk side of the file store: one SQLite database, `<dir>/queue.db`, in WAL mode with
 * `synchronous = NORMAL` (a commit is a write() to the WAL, not an fsync: it survives the death of
 * the process, and a power cut may lose the last commits but never corrupts the file).
 *
 * The directory is 0700 and the files 0600 (store-files.ts); the WAL is bounded by `max_bytes` and
 * free pages are given back after a drain (disk-space.ts).
 *
 * All calls are synchronous (better-sqlite3); the file store batches them into transactions.
 */
export class SqliteQueue {
  readonly dir: string
  readonly file: string
  /** Highest seq ever given out, as recorded at open. */
  readonly lastSeq: number
  /** Routes with messages in the database at open. */
  readonly recovered: readonly RecoveredRoute[]
  /** Where a corrupt database found at open was moved to, if it was. */
  movedAside: string | undefined
  /** Messages taken out of the queue because they would block it (issue 10). */
  readonly deadLetters: DeadLetterTable
  readonly #db: Database.Database
  readonly #space: DiskSpace
  readonly #insert: Database.Statement<[number, number, string, Buffer, number, number], never>
  /** {@link ROWS_PER_INSERT} rows in one statement: one call into SQLite instead of fifty. */
  readonly #insertMany: Database.Statement<unknown[], never>
  readonly #rowParams: unknown[] = []
  readonly #delete: Database.Statement<[number], never>
  readonly #deleteRange: Database.Statement<[number, number], never>
  readonly #load: Database.Statement<[number, number, number], DiskRow>
  readonly #insertRoute: Database.Statement<[number, string], never>
  readonly #setLastSeq: Database.Statement<[number], never>
  readonly #commitTx: (messages: readonly StoredMessage[], routeNos: readonly number[], deletes: readonly number[], lastSeq: number) => void
  readonly #deleteTx: (deletes: readonly number[]) => void
  readonly #routeNos = new Map<string, number>()
  #newRoutes: Array<[number, string]> = []
  #nextRouteNo = 1

  private constructor(dir: string, file: string, db: Database.Database, space: DiskSpace) {
    this.dir = dir
    this.file = file
    this.#db = db
    this.#space = space
    const version = db.pragma('user_version', { simple: true })
    if (typeof version !== 'number' || version > SCHEMA_VERSION) {
      throw new StoreError('EXP_STORE_UNAVAILABLE', `store ${dir}: ${DB_FILE} has schema version ${String(version)}, newer than this program (${SCHEMA_VERSION}); refusing to touch it`)
    }
    db.exec(`BEGIN; ${SCHEMA} COMMIT;`)
    // Read every page once: a damaged file is found now, at open, rather than half-way through a backlog.
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new CorruptionFound(String(check))

    for (const row of db.prepare<[], { id: number; name: string }>('SELECT id, name FROM routes').all()) {
      this.#routeNos.set(row.name, row.id)
      this.#nextRouteNo = Math.max(this.#nextRouteNo, row.id + 1)
    }
    const seqRow = db.prepare<[], { s: number | null; m: number | null }>(`SELECT (SELECT max(seq) FROM messages) AS s, (SELECT value FROM meta WHERE key = 'last_seq') AS m`).get()
    this.lastSeq = Math.max(seqRow?.s ?? 0, seqRow?.m ?? 0)
    this.recovered = db
      .prepare<[], RecoveredRoute>(
        `SELECT coalesce(r.name, '#' || m.route) AS name, m.route AS routeNo, count(*) AS messages, sum(m.bytes) AS bytes
           FROM messages m LEFT JOIN routes r ON r.id = m.route GROUP BY m.route ORDER BY m.route`,
      )
      .all()

    this.#insert = db.prepare('INSERT INTO messages (seq, route, topic, payload, received_at, bytes) VALUES (?, ?, ?, ?, ?, ?)')
    this.#insertMany = db.prepare(`INSERT INTO messages (seq, route, topic, payload, received_at, bytes) VALUES ${Array.from({ length: ROWS_PER_INSERT }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`)
    this.#delete = db.prepare('DELETE FROM messages WHERE seq = ?')
    this.#deleteRange = db.prepare('DELETE FROM messages WHERE seq BETWEEN ? AND ?')
    this.#load = db.prepare<[number, number, number], DiskRow>('SELECT seq, topic, payload, received_at, bytes FROM messages WHERE route = ? AND seq > ? ORDER BY seq LIMIT ?').raw(true)
    this.#insertRoute = db.prepare('INSERT OR IGNORE INTO routes (id, name) VALUES (?, ?)')
    this.#setLastSeq = db.prepare(`INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
    this.#commitTx = db.transaction((messages: readonly StoredMessage[], routeNos: readonly number[], deletes: readonly number[], lastSeq: number) => {
      for (const [no, name] of this.#newRoutes) this.#insertRoute.run(no, name)
      this.#deleteSeqs(deletes)
      const params = this.#rowParams
      params.length = 0
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!
        // Acked (or dropped) before it reached the disk: insert and delete cancel out.
        if (m.state === MessageState.Done) continue
        params.push(m.seq, routeNos[i]!, m.topic, m.payload, m.receivedAt, m.bytes)
        if (params.length === ROWS_PER_INSERT * 6) {
          this.#insertMany.run(params)
          params.length = 0
        }
      }
      for (let i = 0; i < params.length; i += 6) this.#insert.run(params[i] as number, params[i + 1] as number, params[i + 2] as string, params[i + 3] as Buffer, params[i + 4] as number, params[i + 5] as number)
      params.length = 0 // holds payloads: let them go
      // Kept apart from max(seq) so that seq keeps growing even when the queue was empty at a restart.
      this.#setLastSeq.run(lastSeq)
    })
    this.#deleteTx = db.transaction((deletes: readonly number[]) => this.#deleteSeqs(deletes))
    this.deadLetters = new DeadLetterTable(db)
  }

  /**
   * Acks of a route come in claim order, so deletes are mostly runs of consecutive seqs: one range
   * statement per run instead of one statement per row. Only seqs that are all in the list make a
   * run, so no other message (another route's, in between) is ever inside a range.
   */
  #deleteSeqs(deletes: readonly number[]): void {
    if (deletes.length === 0) return
    const seqs = Float64Array.from(deletes).sort()
    let start = seqs[0]!
    let end = start
    for (let i = 1; i <= seqs.length; i++) {
      const seq = i < seqs.length ? seqs[i]! : Number.NaN
      if (seq === end + 1 || seq === end) {
        end = seq
        continue
      }
      if (start === end) this.#delete.run(start)
      else this.#deleteRange.run(start, end)
      start = end = seq
    }
  }

  /**
   * Opens (or creates) `<dir>/queue.db`. A corrupt file is moved aside and a fresh one created:
   * the service must come up, and the damaged file is kept for a post-mortem.
   *
   * @throws {StoreError} EXP_STORE_UNAVAILABLE when the directory cannot be created or written,
   *   the database is locked by another process, or its schema is newer than this program.
   */
  static open(dirGiven: string, options: SqliteQueueOptions, log: StoreLogger): SqliteQueue {
    const dir = resolve(dirGiven)
    try {
      prepareStoreDir(dir, DB_FILE, log)
    } catch (err: unknown) {
      throw new StoreError('EXP_STORE_UNAVAILABLE', `store directory ${dir} cannot be created: ${describeError(err)}`, { cause: err })
    }
    const file = join(dir, DB_FILE)
    try {
      return SqliteQueue.#openFile(dir, file, options, log)
    } catch (err: unknown) {
      if (!isCorruption(err)) throw unavailable(dir, err)
      let aside: string
      try {
        aside = moveAside(file, new Date())
        protectStoreFiles(aside, { create: false })
      } catch (renameErr: unknown) {
        throw new StoreError('EXP_STORE_UNAVAILABLE', `store ${dir}: ${DB_FILE} is corrupt and cannot be moved aside: ${describeError(renameErr)}`, { cause: err })
      }
      log.error(
        { err: describeError(err), code: 'EXP_STORE_CORRUPT', file, movedTo: aside },
        'store database is corrupt: moved aside, starting with an empty queue; the messages in it are not sent',
      )
      let fresh: SqliteQueue
      try {
        fresh = SqliteQueue.#openFile(dir, file, options, log)
      } catch (retryErr: unknown) {
        throw unavailable(dir, retryErr)
      }
      fresh.movedAside = aside
      return fresh
    }
  }

  static #openFile(dir: string, file: string, options: SqliteQueueOptions, log: StoreLogger): SqliteQueue {
    protectStoreFiles(file, { create: true })
    const db = new Database(file, { timeout: LOCK_TIMEOUT_MS })
    try {
      // One process owns the queue: a second service on the same directory gets SQLITE_BUSY at open
      // instead of interleaving seqs. Also lets WAL work without the shared-memory file.
      db.pragma('locking_mode = EXCLUSIVE')
      const mode = db.pragma('journal_mode = WAL', { simple: true })
      if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, WAL is needed`)
      db.pragma('synchronous = NORMAL')
      // Before the schema exists: a new file gets auto-vacuum. Also bounds the WAL.
      const space = new DiskSpace(db, options.maxBytes, () => db.prepare('SELECT 1 FROM messages LIMIT 1').get() === undefined, log)
      if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`)
      return new SqliteQueue(dir, file, db, space)
    } catch (err: unknown) {
      db.close()
      throw err
    }
  }

  /** The number of a route in the database; a new route is written with the next commit. */
  routeNo(name: string): number {
    let no = this.#routeNos.get(name)
    if (no === undefined) {
      no = this.#nextRouteNo++
      this.#routeNos.set(name, no)
      this.#newRoutes.push([no, name])
    }
    return no
  }

  /**
   * One transaction: the deletes, then the inserts (skipping messages already done), and the seq
   * high-water mark. All or nothing; throws the SqliteError (e.g. SQLITE_FULL) after a rollback.
   */
  commit(messages: readonly StoredMessage[], routeNos: readonly number[], deletes: readonly number[], lastSeq: number): void {
    this.#commitTx(messages, routeNos, deletes, lastSeq)
    this.#newRoutes = []
    if (deletes.length > 0) this.#space.reclaim()
  }

  /** Deletes alone: they free pages, so they may succeed when the disk is too full for inserts. */
  deleteOnly(deletes: readonly number[]): void {
    this.#deleteTx(deletes)
  }

  /** Up to `limit` messages of a route after `afterSeq`, in seq order. */
  load(routeNo: number, afterSeq: number, limit: number): DiskRow[] {
    return this.#load.all(routeNo, afterSeq, limit)
  }

  close(): void {
    if (this.#db.open) this.#db.close()
  }
}

function unavailable(dir: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err
  const what = sqliteCode(err) === 'SQLITE_BUSY' ? `${DB_FILE} is in use by another process` : `cannot open ${DB_FILE}`
  return new StoreError('EXP_STORE_UNAVAILABLE', `store directory ${dir}: ${what}: ${describeError(err)}`, { cause: err })
}
