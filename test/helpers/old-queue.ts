import Database from 'better-sqlite3'
import { join } from 'node:path'

/** A message as an earlier version of the service left it in the file store. */
export interface OldMessage {
  topic: string
  payload: string | Buffer
}

/**
 * Appends messages to the queue of `route` in the file store at `storeDir` (the service stopped),
 * as an older version would have queued them, without today's checks: the way to test that a
 * message such a version let in cannot block the queue (issue 10). Uses the store's own table
 * layout (src/store/sqlite-queue.ts).
 */
export function appendOldMessages(storeDir: string, route: string, messages: readonly OldMessage[]): void {
  const db = new Database(join(storeDir, 'queue.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.transaction(() => {
      const row = db.prepare<[string], { id: number }>('SELECT id FROM routes WHERE name = ?').get(route)
      const routeNo = row?.id ?? (db.prepare<[], { n: number }>('SELECT coalesce(max(id), 0) + 1 AS n FROM routes').get()?.n ?? 1)
      if (row === undefined) db.prepare('INSERT INTO routes (id, name) VALUES (?, ?)').run(routeNo, route)
      const seqRow = db.prepare<[], { s: number }>(`SELECT max(coalesce((SELECT max(seq) FROM messages), 0), coalesce((SELECT value FROM meta WHERE key = 'last_seq'), 0)) AS s`).get()
      let seq = seqRow?.s ?? 0
      const insert = db.prepare('INSERT INTO messages (seq, route, topic, payload, received_at, bytes) VALUES (?, ?, ?, ?, ?, ?)')
      for (const m of messages) {
        const payload = Buffer.from(m.payload)
        insert.run(++seq, routeNo, m.topic, payload, Date.now(), m.topic.length + payload.length + 64)
      }
      db.prepare(`INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(seq)
    })()
  } finally {
    db.close()
  }
}
