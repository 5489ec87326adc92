// The part of better-sqlite3's API the file store uses. @types/better-sqlite3 is not a dependency;
// if it is added later, delete this file.
declare module 'better-sqlite3' {
  namespace Database {
    interface RunResult {
      changes: number
      lastInsertRowid: number | bigint
    }

    interface Statement<P extends unknown[], R> {
      run(...params: P): RunResult
      get(...params: P): R | undefined
      all(...params: P): R[]
      /** Rows one by one; breaking out of the loop ends the statement. */
      iterate(...params: P): IterableIterator<R>
      /** Rows as arrays of column values, in SELECT order (the caller's `R` says so), instead of objects. */
      raw(toggle?: boolean): this
    }

    interface Options {
      readonly?: boolean
      fileMustExist?: boolean
      /** Milliseconds to wait for a lock held by another connection (SQLITE_BUSY after that). */
      timeout?: number
    }

    interface Database {
      readonly open: boolean
      readonly inTransaction: boolean
      readonly name: string
      prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R>
      exec(sql: string): this
      pragma(source: string, options?: { simple?: boolean }): unknown
      /** Wraps `fn` in BEGIN/COMMIT; a throw rolls back and is rethrown. */
      transaction<F extends (...args: never[]) => unknown>(fn: F): F
      close(): this
    }

    /** Thrown by every failing SQLite call; `code` is SQLite's name, e.g. `SQLITE_FULL`. */
    interface SqliteError extends Error {
      readonly code: string
    }
  }

  interface DatabaseConstructor {
    new (filename: string, options?: Database.Options): Database.Database
    readonly SqliteError: new (message: string, code: string) => Database.SqliteError
  }

  const Database: DatabaseConstructor
  export = Database
}
