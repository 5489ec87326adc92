import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs'
import type { StoreLogger } from './sqlite-queue.js'

/**
 * Queued payloads are the gateway's data: only the service's user may read them, as the config
 * file (0600). The store directory is 0700 and every file in it 0600 (issue 10).
 */
export const STORE_DIR_MODE = 0o700
export const STORE_FILE_MODE = 0o600

/** The files SQLite keeps beside the database, and those of a database moved aside. */
const COMPANIONS = ['', '-wal', '-shm', '-journal']

/** Whether a directory entry is one of the store's own files (`queue.db…`, `queue.db.corrupt-…`). */
function isStoreFile(name: string, dbFile: string): boolean {
  return name === dbFile || name.startsWith(`${dbFile}-`) || name.startsWith(`${dbFile}.corrupt-`)
}

/**
 * Creates the store directory with mode 0700. An existing directory that others may enter is
 * tightened to 0700 when it holds nothing but the store's files (it is the store's own); one that
 * holds other files (an operator pointed `path` at a shared directory) is left as it is, with a
 * warning: the files' own mode still keeps the payloads private.
 *
 * @throws the file system's error when the directory cannot be created or is not a directory.
 */
export function prepareStoreDir(dir: string, dbFile: string, log: StoreLogger): void {
  mkdirSync(dir, { recursive: true, mode: STORE_DIR_MODE })
  const stat = statSync(dir)
  if (!stat.isDirectory()) throw new Error('not a directory')
  const mode = stat.mode & 0o777
  if ((mode & 0o077) === 0) return
  const shown = `0${mode.toString(8)}`
  const others = readdirSync(dir).filter((name) => !isStoreFile(name, dbFile))
  if (others.length > 0) {
    log.warn({ dir, mode: shown, otherFiles: others.length }, 'store directory is open to other users and holds other files: left as it is; the store files are 0600')
    return
  }
  try {
    chmodSync(dir, STORE_DIR_MODE)
    log.info({ dir, was: shown, now: '0700' }, 'store directory permissions tightened')
  } catch (err: unknown) {
    // Not ours to change (another owner): the files' own mode still protects the payloads.
    log.warn({ dir, mode: shown, err: err instanceof Error ? err.message : String(err) }, 'store directory is open to other users and cannot be tightened; the store files are 0600')
  }
}

/**
 * Tightens a database file and its companions to 0600 (files of an earlier version, a database
 * moved aside). With `create`, a missing database file is first created 0600, before SQLite opens
 * it: SQLite would create it 0644, and it gives the `-wal` and `-journal` it creates later the
 * database's own mode.
 */
export function protectStoreFiles(file: string, options: { create: boolean }): void {
  if (options.create && !existsSync(file)) closeSync(openSync(file, 'a', STORE_FILE_MODE))
  for (const suffix of COMPANIONS) {
    const path = file + suffix
    if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, STORE_FILE_MODE)
  }
}
