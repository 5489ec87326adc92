import type { StoreKind } from '../config/types.js'
import type { Lifecycle } from '../lifecycle.js'
import type { DeadLetter, DeadLetterReason, DeadLetterSelection, DeadLetterSummary } from './dead-letters.js'
import type { Settled, StoredMessage } from './message.js'

export type { StoreLimits } from '../config/types.js'

/**
 * Why a message left the store without being delivered. `disk_full`: the file store refused a new
 * message because it cannot commit to disk (disk full or I/O error). `dead_letter_full`: the
 * oldest dead letters were discarded to keep the dead-letter table within its bounds.
 */
export type DropReason = 'overflow' | 'max_age' | 'disk_full' | 'dead_letter_full'

export interface RouteQueueStats {
  /** Messages waiting or in flight. */
  messages: number
  bytes: number
  /** receivedAt of the oldest waiting message, or undefined when the queue is empty. */
  oldestReceivedAt: number | undefined
}

export interface StoreListener {
  /** A route's queue got a new message (called at most once per append). */
  available(routeId: string): void
  /** Messages were dropped by the overflow policy or `max_age`; always counted and logged. */
  dropped(routeId: string, count: number, reason: DropReason): void
}

/** A listener for a store started without one (a CLI that only reads the dead letters). */
export const SILENT_LISTENER: StoreListener = { available: () => undefined, dropped: () => undefined }

/**
 * Where messages wait between NATS and the broker: one FIFO queue per route.
 *
 * The life of a message: `append` (tail of its route's queue) → `claim` (handed to the sink, in
 * order) → `ack` (the broker has it; it leaves the store) or `release` (the send failed; it goes
 * back to its place at the head). Only `ack` and the drop policies remove messages.
 *
 * `append`, `claim`, `ack` and `release` are synchronous so the hot path allocates no promises; a
 * durable store buffers them and commits in batches (group commit). `flush()` resolves when every
 * append made before the call is durable: that is the point to acknowledge a JetStream message.
 */
export interface MessageStore extends Lifecycle {
  readonly kind: StoreKind
  /** Who hears of new and dropped messages; set before start(). */
  listen(listener: StoreListener): void
  /** Opens the store (the file store recovers its queues) and starts the `max_age` sweep. */
  start(): Promise<void>
  /** listen() and start() in one call. */
  open(listener: StoreListener): Promise<void>
  /** Commits what is buffered (the queue stays open until close()). */
  stop(deadlineMs: number): Promise<void>
  /**
   * Adds a message to the tail of a route's queue; false if the overflow policy refused it.
   * The store owns `payload` from here on.
   */
  append(routeId: string, topic: string, payload: Buffer, receivedAt: number, onSettled?: Settled): boolean
  /** Resolves once everything appended before the call is durable. */
  flush(): Promise<void>
  /** Up to `max` queued messages of the route, oldest first, now marked in flight. */
  claim(routeId: string, max: number): StoredMessage[]
  /**
   * Whether the cloud link is up. The file store then keeps a burst beyond a route's window in
   * memory (it will leave soon, and need not be read back from disk); while the link is down, an
   * outage's backlog goes to disk only.
   */
  linkUp(up: boolean): void
  /** The broker took the message: remove it. */
  ack(routeId: string, message: StoredMessage): void
  /** Sending failed: the message is queued again, ahead of every message after it. */
  release(routeId: string, message: StoredMessage): void
  /** Every in-flight message of the route is queued again (the connection that carried them is gone). */
  releaseAll(routeId: string): void
  /**
   * The message would block its queue (issue 10): it leaves the queue as if acked and goes to the
   * dead-letter table, from where an operator may replay it.
   */
  deadLetter(routeId: string, message: StoredMessage, reason: DeadLetterReason, detail: string): void
  /** The dead letters, in the order they were dead-lettered. */
  deadLetters(): readonly DeadLetter[]
  deadLetterSummary(now: number): DeadLetterSummary
  /**
   * Puts dead letters back into their route's queue, at their original place (by seq: ahead of
   * what came after them); returns those put back. Throws StoreError if the disk cannot take them.
   */
  replayDeadLetters(selection: DeadLetterSelection): DeadLetter[]
  /** Deletes dead letters for good; returns those deleted. */
  purgeDeadLetters(selection: DeadLetterSelection): DeadLetter[]
  /**
   * Highest seq given out before this process opened the store: messages up to it were queued by
   * an earlier run, maybe by an older version that let through what is refused now.
   */
  readonly recoveredSeq: number
  /** Messages of the route that are queued and not in flight. */
  queued(routeId: string): number
  stats(routeId: string): RouteQueueStats
  /** Route ids that have messages (including routes no longer configured). */
  routeIds(): string[]
  /** True while the disk is full and new messages are refused (file store). */
  readonly diskFull?: boolean
  /** The store's last fault (disk full, corrupt file moved aside), for /health. */
  readonly lastError?: string | undefined
  /** Commits what is buffered and releases resources. Idempotent. */
  close(): Promise<void>
}
