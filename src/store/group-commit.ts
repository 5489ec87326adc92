import { systemClock } from '../clock.js'
import type { Clock, Timer } from '../clock.js'
import { describeError } from '../errors.js'
import { sqliteCode } from './corrupt.js'
import { MessageState } from './message.js'
import type { StoredMessage } from './message.js'
import type { SqliteQueue, StoreLogger } from './sqlite-queue.js'

/** Buffered appends and acks are committed at most this long after the first of them. */
export const COMMIT_INTERVAL_MS = 20
/** ... or at once when this many appends are buffered (a burst that keeps the event loop busy). */
export const COMMIT_BATCH = 2000
/** While commits fail (disk full), they are retried this often. */
export const RETRY_MS = 1000

/** Why commits currently fail. */
export interface CommitFailure {
  /** SQLITE_FULL: the disk (or `max_page_count`) is full. Otherwise an I/O error. */
  diskFull: boolean
  /** For /health. */
  message: string
}

/**
 * Group commit for the file store: appends (inserts) and acks (deletes) are buffered and written
 * in ONE transaction at most {@link COMMIT_INTERVAL_MS} after the first of them, so the hot path
 * makes no per-message promise, timer or transaction. A message that is acked before its insert
 * was committed is never written: insert and delete cancel.
 *
 * When a commit fails (disk full), everything stays buffered and the commit is retried every
 * {@link RETRY_MS}; the owner refuses new messages meanwhile (see `failure`).
 */
export class GroupCommit {
  readonly #disk: SqliteQueue
  readonly #log: StoreLogger
  /** Every seq up to this one is committed (or was cancelled); later ones are in `#pending`. */
  #committedSeq: number
  /** Appended, not yet committed, in seq order; `#pendingRoutes[i]` is the route number of `#pending[i]`. */
  #pending: StoredMessage[] = []
  #pendingRoutes: number[] = []
  /** seqs of committed messages that were acked or dropped since the last commit. */
  #deletes: number[] = []
  #timer: Timer | undefined
  #retryTimer: Timer | undefined
  readonly #clock: Clock
  #failure: CommitFailure | undefined
  readonly #onTimer = (): void => {
    this.#timer = undefined
    this.commit()
  }
  readonly #onRetryTimer = (): void => {
    this.#retryTimer = undefined
    this.commit()
  }

  constructor(disk: SqliteQueue, log: StoreLogger, clock: Clock = systemClock) {
    this.#disk = disk
    this.#log = log
    this.#clock = clock
    this.#committedSeq = disk.lastSeq
  }

  /** Set while commits fail; undefined once one succeeds again. */
  get failure(): CommitFailure | undefined {
    return this.#failure
  }

  /** Appends and acks waiting for the next commit. */
  get uncommitted(): number {
    return this.#pending.length + this.#deletes.length
  }

  /** Appends waiting for the next commit. */
  get pendingInserts(): number {
    return this.#pending.length
  }

  /** Buffers a new message (its seq must be above every seq given before). */
  insert(message: StoredMessage, routeNo: number): void {
    this.#pending.push(message)
    this.#pendingRoutes.push(routeNo)
    if (this.#pending.length >= COMMIT_BATCH) this.commit()
    else this.#schedule()
  }

  /** The message left the store (acked or dropped): delete it from disk, unless it never got there. */
  delete(message: StoredMessage): void {
    // A message not yet committed is skipped by the commit, its state being Done.
    if (message.seq > this.#committedSeq) return
    this.#deletes.push(message.seq)
    this.#schedule()
  }

  /** The buffered messages of a route after `afterSeq`, in order: the tail not yet on disk. */
  *pendingAfter(routeNo: number, afterSeq: number): Generator<StoredMessage> {
    for (let i = 0; i < this.#pending.length; i++) {
      const m = this.#pending[i]!
      if (this.#pendingRoutes[i] === routeNo && m.seq > afterSeq && m.state !== MessageState.Done) yield m
    }
  }

  /** Commits what is buffered now, in one transaction. False if that failed (then it is retried). */
  commit(): boolean {
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    // While failing, even an empty commit runs (it writes last_seq): it is the probe that ends the failure.
    if (this.#pending.length === 0 && this.#deletes.length === 0 && this.#failure === undefined) return true
    const lastSeq = this.#pending.at(-1)?.seq ?? this.#committedSeq
    try {
      this.#disk.commit(this.#pending, this.#pendingRoutes, this.#deletes, lastSeq)
    } catch (err: unknown) {
      this.#failed(err)
      return false
    }
    this.#committedSeq = lastSeq
    this.#pending = []
    this.#pendingRoutes = []
    this.#deletes = []
    if (this.#failure) {
      this.#failure = undefined
      this.#clock.clearTimeout(this.#retryTimer)
      this.#retryTimer = undefined
      this.#log.info({ dir: this.#disk.dir }, 'store writable again: taking new messages')
    }
    return true
  }

  /** Commits what is left and stops the timers; logs what could not be written. Idempotent. */
  close(): void {
    if (!this.commit()) {
      const lost = this.#pending.filter((m) => m.state !== MessageState.Done).length
      this.#log.error({ dir: this.#disk.dir, lost, err: this.#failure?.message }, 'store closed while commits fail: buffered messages are lost')
    }
    this.#clock.clearTimeout(this.#timer)
    this.#clock.clearTimeout(this.#retryTimer)
    this.#timer = this.#retryTimer = undefined
  }

  #schedule(): void {
    // While failing, the retry timer commits instead.
    if (this.#timer === undefined && this.#failure === undefined) this.#timer = this.#clock.setTimeout(this.#onTimer, COMMIT_INTERVAL_MS)
  }

  #failed(err: unknown): void {
    const dir = this.#disk.dir
    const diskFull = sqliteCode(err) === 'SQLITE_FULL'
    if (!this.#failure) {
      this.#log.error(
        { dir, err: describeError(err), buffered: this.#pending.length, retryMs: RETRY_MS },
        diskFull ? 'store disk full: refusing new messages until a commit succeeds' : 'store commit failed: refusing new messages until a commit succeeds',
      )
    }
    this.#failure = { diskFull, message: diskFull ? `store ${dir}: disk full, new messages are refused` : `store ${dir}: cannot write: ${describeError(err)}` }
    if (this.#deletes.length > 0) {
      try {
        // Deletes free pages: as the backlog drains, room is made for the buffered inserts, and
        // what was delivered is not sent again after a crash.
        this.#disk.deleteOnly(this.#deletes)
        this.#deletes = []
      } catch {
        // Handled: the deletes stay buffered and the retry commits them with the inserts.
      }
    }
    this.#retryTimer ??= this.#clock.setTimeout(this.#onRetryTimer, RETRY_MS)
    // Not a reason to keep the process alive: close() commits what is left.
    this.#retryTimer.unref()
  }
}
