import { describeError, StoreError } from '../errors.js'
import type { DeadLetterTable } from './dead-letter-table.js'
import { DeadLetterList, MAX_DEAD_LETTERS, deadLetterMaxBytes, listed } from './dead-letters.js'
import type { DeadLetter, DeadLetterReason, DeadLetterSelection, DeadLetterSummary, DeadLetterWithPayload } from './dead-letters.js'
import type { StoredMessage } from './message.js'
import type { StoreLogger } from './sqlite-queue.js'

/**
 * The file store's dead letters: the `dead_letters` table of `queue.db`, with an index in memory
 * (no payloads) for /status and /health, bounded like the table (oldest discarded first, counted).
 */
export class FileDeadLetters {
  readonly #table: DeadLetterTable
  readonly #index: DeadLetterList<DeadLetter>
  readonly #log: StoreLogger
  readonly #discarded: (routeId: string, reason: 'dead_letter_full' | 'disk_full') => void

  /** `discarded`: a dead letter was dropped (table full) or could not be saved (disk full). */
  constructor(table: DeadLetterTable, storeMaxBytes: number, log: StoreLogger, discarded: (routeId: string, reason: 'dead_letter_full' | 'disk_full') => void) {
    this.#table = table
    this.#index = new DeadLetterList(MAX_DEAD_LETTERS, deadLetterMaxBytes(storeMaxBytes))
    this.#log = log
    this.#discarded = discarded
    for (const d of table.list()) this.#keep(d)
  }

  get items(): readonly DeadLetter[] {
    return this.#index.items
  }

  summary(now: number): DeadLetterSummary {
    return this.#index.summary(now)
  }

  /**
   * Writes the message to the table and deletes its row from `messages`, in one transaction. False
   * if the disk refused it: the message is then dropped (logged, counted as `disk_full`), as it
   * must leave the queue it would block anyway.
   */
  add(routeId: string, m: StoredMessage, reason: DeadLetterReason, detail: string): boolean {
    const letter: DeadLetterWithPayload = {
      seq: m.seq,
      route: routeId,
      topic: m.topic,
      payload: m.payload,
      bytes: m.payload.length,
      receivedAt: m.receivedAt,
      deadLetteredAt: Date.now(),
      reason,
      detail,
    }
    try {
      this.#table.add(letter)
    } catch (err: unknown) {
      this.#log.error({ route: routeId, topic: m.topic, bytes: m.payload.length, reason, err: describeError(err) }, 'dead letter could not be saved: message dropped')
      this.#discarded(routeId, 'disk_full')
      return false
    }
    this.#keep(listed(letter))
    return true
  }

  /** Moves the selected dead letters back into `messages` (one transaction); returns them with payloads. */
  takeBack(selection: DeadLetterSelection, routeNo: (name: string) => number): DeadLetterWithPayload[] {
    const chosen = this.#index.select(selection)
    if (chosen.length === 0) return []
    const taken = this.#write(() => this.#table.takeBack(chosen.map((d) => d.seq), routeNo))
    this.#index.remove(new Set(taken.map((d) => d.seq)))
    return taken
  }

  purge(selection: DeadLetterSelection): DeadLetter[] {
    const chosen = this.#index.select(selection)
    if (chosen.length === 0) return []
    this.#write(() => this.#table.remove(selection === 'all' ? 'all' : chosen.map((d) => d.seq)))
    this.#index.remove(new Set(chosen.map((d) => d.seq)))
    return chosen
  }

  #keep(d: DeadLetter): void {
    const discarded = this.#index.add(d)
    if (discarded.length === 0) return
    try {
      this.#table.remove(discarded.map((x) => x.seq))
    } catch (err: unknown) {
      // Left on disk; the next open trims again.
      this.#log.error({ err: describeError(err) }, 'old dead letters could not be deleted')
    }
    this.#log.warn({ discarded: discarded.length, kept: this.#index.items.length }, 'dead-letter table full: oldest dead letters discarded')
    for (const x of discarded) this.#discarded(x.route, 'dead_letter_full')
  }

  #write<T>(fn: () => T): T {
    try {
      return fn()
    } catch (err: unknown) {
      throw new StoreError('EXP_STORE_UNAVAILABLE', `store: cannot write the dead-letter table: ${describeError(err)}`, { cause: err })
    }
  }
}
