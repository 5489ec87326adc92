/**
 * Dead letters (issue 10): messages taken out of their queue because they would block it, kept so
 * that an operator can look at them and send them again (`mainflux-export dead-letters`).
 *
 * - `topic`: queued (by an earlier version) under a topic no broker takes (`+`, `#`, NUL…);
 * - `too_large`: bigger than the broker takes, learned after the message was queued;
 * - `repeated_disconnect`: the broker dropped the connection each time this message was sent
 *   alone at the head of the window ({@link DEAD_LETTER_DROPS} drops in a row).
 */
export type DeadLetterReason = 'topic' | 'too_large' | 'repeated_disconnect'

export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = ['topic', 'too_large', 'repeated_disconnect']

/** A message is dead-lettered when the connection dropped this many times in a row with it at the head. */
export const DEAD_LETTER_DROPS = 3

/** A dead letter as listed: everything but the payload. */
export interface DeadLetter {
  /** Its seq in the store: names it for replay and purge, and gives its place back on replay. */
  seq: number
  route: string
  topic: string
  /** Payload bytes. */
  bytes: number
  /** ms since the epoch. */
  receivedAt: number
  deadLetteredAt: number
  reason: DeadLetterReason
  /** What happened, in words. */
  detail: string
}

/** A dead letter with its payload, as a replay needs it. */
export interface DeadLetterWithPayload extends DeadLetter {
  payload: Buffer
}

/** Which dead letters a replay or purge acts on: these seqs, or all. */
export type DeadLetterSelection = readonly number[] | 'all'

/** What /health and /status show of the dead letters. */
export interface DeadLetterSummary {
  total: number
  /** Dead-lettered in the last hour and still in the table: /health warns while it is not 0. */
  lastHour: number
  /** The newest few, newest first. */
  recent: DeadLetter[]
}

/** Most dead letters kept; beyond it (or beyond {@link deadLetterMaxBytes}) the oldest are discarded and counted. */
export const MAX_DEAD_LETTERS = 10_000
const HOUR_MS = 3_600_000
const RECENT = 5

/** Payload bytes the dead letters may hold: an eighth of `[store] max_bytes`, at least 1 MiB. */
export function deadLetterMaxBytes(storeMaxBytes: number): number {
  return Math.max(1024 * 1024, Math.floor(storeMaxBytes / 8))
}

/**
 * Dead letters in memory, in the order they came: the memory store's table (with payloads), and
 * the file store's index of its SQLite table (without). Bounded by count and bytes; the newest one
 * is always kept, however big.
 */
export class DeadLetterList<T extends DeadLetter> {
  #items: T[] = []
  #bytes = 0
  readonly #maxCount: number
  readonly #maxBytes: number

  constructor(maxCount: number, maxBytes: number) {
    this.#maxCount = maxCount
    this.#maxBytes = maxBytes
  }

  get items(): readonly T[] {
    return this.#items
  }

  /** Adds (or replaces, by seq) a dead letter; returns the oldest ones discarded to stay in bounds. */
  add(item: T): T[] {
    this.remove(new Set([item.seq]))
    this.#items.push(item)
    this.#bytes += item.bytes
    const discarded: T[] = []
    while (this.#items.length > 1 && (this.#items.length > this.#maxCount || this.#bytes > this.#maxBytes)) {
      const oldest = this.#items.shift()!
      this.#bytes -= oldest.bytes
      discarded.push(oldest)
    }
    return discarded
  }

  /** The selected dead letters, in seq order (their order in the queue). */
  select(selection: DeadLetterSelection): T[] {
    const wanted = selection === 'all' ? undefined : new Set(selection)
    return this.#items.filter((d) => wanted === undefined || wanted.has(d.seq)).sort((a, b) => a.seq - b.seq)
  }

  remove(seqs: ReadonlySet<number>): void {
    if (seqs.size === 0) return
    this.#items = this.#items.filter((d) => {
      if (!seqs.has(d.seq)) return true
      this.#bytes -= d.bytes
      return false
    })
  }

  summary(now: number): DeadLetterSummary {
    let lastHour = 0
    for (const d of this.#items) if (d.deadLetteredAt > now - HOUR_MS) lastHour++
    const recent = this.#items.slice(-RECENT).reverse().map(listed)
    return { total: this.#items.length, lastHour, recent }
  }
}

/** A dead letter without its payload (the memory store's entries carry theirs). */
export function listed(d: DeadLetter): DeadLetter {
  return { seq: d.seq, route: d.route, topic: d.topic, bytes: d.bytes, receivedAt: d.receivedAt, deadLetteredAt: d.deadLetteredAt, reason: d.reason, detail: d.detail }
}
