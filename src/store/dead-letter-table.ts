import type Database from 'better-sqlite3'
import type { DeadLetter, DeadLetterReason, DeadLetterWithPayload } from './dead-letters.js'
import { messageBytes } from './message.js'

// In the queue's own database, so that a message moves between `messages` and `dead_letters` in
// one transaction: it is in exactly one of them, whatever crashes when. `route` is the route's
// name (not its number): a row means something to the CLI even when the route is gone. An older
// version of the service ignores this table, so the schema version stays as it was.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY,
    route TEXT NOT NULL,
    topic TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    dead_lettered_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload BLOB NOT NULL
  );
`

interface ListedRow {
  seq: number
  route: string
  topic: string
  bytes: number
  received_at: number
  dead_lettered_at: number
  reason: string
  detail: string
}

type FullRow = ListedRow & { payload: Buffer }

/** The file store's dead letters: the `dead_letters` table of `queue.db`. Synchronous, as better-sqlite3. */
export class DeadLetterTable {
  readonly #list: Database.Statement<[], ListedRow>
  readonly #get: Database.Statement<[number], FullRow>
  readonly #insert: Database.Statement<[number, string, string, number, number, string, string, Buffer], never>
  readonly #deleteMessage: Database.Statement<[number], never>
  readonly #delete: Database.Statement<[number], never>
  readonly #deleteAll: Database.Statement<[], never>
  readonly #insertRoute: Database.Statement<[number, string], never>
  readonly #insertMessage: Database.Statement<[number, number, string, Buffer, number, number], never>
  readonly #addTx: (d: DeadLetterWithPayload) => void
  readonly #takeBackTx: (seqs: readonly number[], routeNo: (name: string) => number) => DeadLetterWithPayload[]
  readonly #removeTx: (seqs: readonly number[]) => void

  constructor(db: Database.Database) {
    db.exec(SCHEMA)
    this.#list = db.prepare(
      'SELECT seq, route, topic, length(payload) AS bytes, received_at, dead_lettered_at, reason, detail FROM dead_letters ORDER BY dead_lettered_at, seq',
    )
    this.#get = db.prepare('SELECT seq, route, topic, length(payload) AS bytes, received_at, dead_lettered_at, reason, detail, payload FROM dead_letters WHERE seq = ?')
    this.#insert = db.prepare(
      'INSERT OR REPLACE INTO dead_letters (seq, route, topic, received_at, dead_lettered_at, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    )
    this.#deleteMessage = db.prepare('DELETE FROM messages WHERE seq = ?')
    this.#delete = db.prepare('DELETE FROM dead_letters WHERE seq = ?')
    this.#deleteAll = db.prepare('DELETE FROM dead_letters')
    this.#insertRoute = db.prepare('INSERT OR IGNORE INTO routes (id, name) VALUES (?, ?)')
    this.#insertMessage = db.prepare('INSERT OR REPLACE INTO messages (seq, route, topic, payload, received_at, bytes) VALUES (?, ?, ?, ?, ?, ?)')
    this.#addTx = db.transaction((d: DeadLetterWithPayload) => {
      this.#insert.run(d.seq, d.route, d.topic, d.receivedAt, d.deadLetteredAt, d.reason, d.detail, d.payload)
      // Not there yet if its insert still waits for the group commit, which skips it (it is done).
      this.#deleteMessage.run(d.seq)
    })
    this.#takeBackTx = db.transaction((seqs: readonly number[], routeNo: (name: string) => number) => {
      const taken: DeadLetterWithPayload[] = []
      for (const seq of seqs) {
        const row = this.#get.get(seq)
        if (row === undefined) continue
        const no = routeNo(row.route)
        this.#insertRoute.run(no, row.route)
        this.#insertMessage.run(row.seq, no, row.topic, row.payload, row.received_at, messageBytes(row.topic, row.payload))
        this.#delete.run(seq)
        taken.push({ ...fromRow(row), payload: row.payload })
      }
      return taken
    })
    this.#removeTx = db.transaction((seqs: readonly number[]) => {
      for (const seq of seqs) this.#delete.run(seq)
    })
  }

  /** Every dead letter, in the order they were dead-lettered, without payloads. */
  list(): DeadLetter[] {
    return this.#list.all().map(fromRow)
  }

  /** Writes the dead letter and deletes its message row, in one transaction. Throws on a write error. */
  add(d: DeadLetterWithPayload): void {
    this.#addTx(d)
  }

  /**
   * Moves dead letters back into `messages` with their seq (their place in the queue), in one
   * transaction; returns them with their payloads. `routeNo` numbers a route by name.
   */
  takeBack(seqs: readonly number[], routeNo: (name: string) => number): DeadLetterWithPayload[] {
    return this.#takeBackTx(seqs, routeNo)
  }

  /** Deletes dead letters for good. */
  remove(seqs: readonly number[] | 'all'): void {
    if (seqs === 'all') this.#deleteAll.run()
    else this.#removeTx(seqs)
  }
}

function fromRow(row: ListedRow): DeadLetter {
  // Only DeadLetterTable.add writes the column, always with a DeadLetterReason.
  const reason = row.reason as DeadLetterReason
  return {
    seq: row.seq,
    route: row.route,
    topic: row.topic,
    bytes: row.bytes,
    receivedAt: row.received_at,
    deadLetteredAt: row.dead_lettered_at,
    reason,
    detail: row.detail,
  }
}
