import { existsSync, renameSync } from 'node:fs'

/** SQLite error codes (better-sqlite3's `err.code`) that mean the file's content cannot be trusted. */
const CORRUPTION_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB'])

/** The SQLite error code of a thrown value, or undefined if it is not a SQLite error. */
export function sqliteCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string') return undefined
  return err.code.startsWith('SQLITE_') ? err.code : undefined
}

/** True if `err` says the database file is damaged (not a database, malformed page, bad index). */
export function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err)
  if (code === undefined) return false
  // Extended codes (SQLITE_CORRUPT_VTAB, SQLITE_CORRUPT_INDEX, ...) carry their base code as prefix.
  for (const base of CORRUPTION_CODES) if (code === base || code.startsWith(`${base}_`)) return true
  return false
}

/** Thrown by a quick_check that does not answer "ok": a corruption found by reading, not by an error. */
export class CorruptionFound extends Error {
  readonly code = 'SQLITE_CORRUPT'
  constructor(detail: string) {
    super(`integrity check failed: ${detail}`)
    this.name = 'CorruptionFound'
  }
}

/**
 * Renames a damaged database and its `-wal`/`-shm` companions to `<file>.corrupt-<time>` (and
 * `<file>.corrupt-<time>-wal`, so that the pair can still be opened together for a post-mortem).
 * The time is ISO 8601 with ':' replaced by '-' (valid in every file system). Returns the new path
 * of the main file. Nothing is deleted: what is in it may still be recovered by hand.
 */
export function moveAside(file: string, now: Date): string {
  const aside = `${file}.corrupt-${now.toISOString().replaceAll(':', '-')}`
  renameSync(file, aside)
  for (const suffix of ['-wal', '-shm', '-journal']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix)
  }
  return aside
}
