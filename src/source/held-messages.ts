import { performance } from 'node:perf_hooks'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Settled } from '../store/message.js'

/** The part of a JetStream message (`JsMsg`) that a hold uses. */
export interface HeldMessage {
  /** Stream sequence: JetStream's identity of the message, the same in every redelivery. */
  readonly seq: number
  ack(): void
  /** In-progress ack (`+WPI`): the server restarts the message's ack wait. */
  working(): void
  term(reason?: string): void
}

export interface HeldMessagesOptions {
  /**
   * A held message gets an in-progress ack once the server last heard of it (delivery or the previous
   * in-progress ack) this long ago. Must be well below the consumer's `ack_wait`.
   */
  refreshAfterMs: number
  /** How often due messages are looked for; their in-progress acks leave together. */
  tickMs: number
  log: Logger
  /** Monotonic clock in ms; injectable for tests. */
  now?: () => number
}

interface Hold {
  /** The latest delivery of the message: the one the server expects acks on. */
  msg: HeldMessage
  /** When the server last heard of it (our clock). */
  progressAt: number
}

const DROP_REASON = 'dropped by the export store (overflow or max_age)'

/**
 * JetStream messages that a memory store holds until the broker has them (issue 13). RAM does not
 * survive a crash, so such a message is acked only when the broker acknowledged it; until then the
 * consumer's short ack wait is restarted with in-progress acks, so that:
 *
 * - while this process lives, however long the cloud is unreachable, JetStream never redelivers
 *   what it holds (neither to it nor to another instance on the durable);
 * - when it dies, JetStream redelivers everything it held one ack wait later, not an hour later.
 *
 * One hold per stream sequence: a message JetStream delivers again while it is still held (its
 * in-progress acks did not arrive in time, e.g. the local NATS was away) is not stored twice; the
 * hold moves to the new delivery, which is the one acked later.
 *
 * Holds are kept in a Map in the order of their last progress, so a tick stops at the first one
 * that is not due: the cost is one `+WPI` per held message per `refreshAfterMs`, nothing per tick.
 */
export class HeldMessages {
  readonly #holds = new Map<number, Hold>()
  readonly #refreshAfterMs: number
  readonly #tickMs: number
  readonly #log: Logger
  readonly #now: () => number
  #timer: NodeJS.Timeout | undefined
  #closed = false
  /** In-progress acks sent so far. */
  progressSent = 0
  /** Holds ended because the store dropped the message. */
  dropped = 0

  constructor(opts: HeldMessagesOptions) {
    this.#refreshAfterMs = opts.refreshAfterMs
    this.#tickMs = opts.tickMs
    this.#log = opts.log
    this.#now = opts.now ?? (() => performance.now())
  }

  /** Messages held now. */
  get size(): number {
    return this.#holds.size
  }

  /**
   * Holds `msg` and returns the callback to hand to the store with it (`onSettled`): it acks the
   * message once the broker has it, and terminates it if the store drops it. Returns undefined if
   * the message is already held (a redelivery): the hold now uses the new delivery, and the
   * message must not be stored again.
   */
  hold(msg: HeldMessage): Settled | undefined {
    const seq = msg.seq
    const now = this.#now()
    const current = this.#holds.get(seq)
    if (current !== undefined) {
      current.msg = msg
      current.progressAt = now
      this.#moveToEnd(seq, current)
      return undefined
    }
    this.#holds.set(seq, { msg, progressAt: now })
    this.#startTimer()
    return (outcome) => {
      if (outcome === 'delivered') this.#settle(seq, 'ack')
      else this.#dropped(seq)
    }
  }

  /** The store did not take the message (`hold` returned `onSettled`, the append failed): forget it. */
  cancel(seq: number): void {
    this.#holds.delete(seq)
    this.#stopTimerIfIdle()
  }

  /** Sends an in-progress ack for every message whose last progress is `refreshAfterMs` old. Public for tests. */
  tick(now = this.#now()): void {
    for (const [seq, hold] of this.#holds) {
      if (now - hold.progressAt < this.#refreshAfterMs) break // the rest are younger
      if (!this.#send(hold.msg, 'working')) return
      this.progressSent++
      hold.progressAt = now
      this.#moveToEnd(seq, hold)
    }
  }

  /** Stops the in-progress acks; what is still held comes again from JetStream after the ack wait. */
  close(): void {
    this.#closed = true
    this.#holds.clear()
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** The store dropped the message (overflow policy, `max_age`): a drop is final, as with the file store. */
  #dropped(seq: number): void {
    if (!this.#holds.has(seq)) return
    this.dropped++
    this.#log.debug({ seq }, 'held JetStream message dropped by the store; terminated')
    this.#settle(seq, 'term')
  }

  #settle(seq: number, how: 'ack' | 'term'): void {
    const hold = this.#holds.get(seq)
    if (hold === undefined) return
    this.#holds.delete(seq)
    this.#send(hold.msg, how)
    this.#stopTimerIfIdle()
  }

  /** False once the NATS connection is closed for good (the service stops): nothing more can be sent. */
  #send(msg: HeldMessage, how: 'ack' | 'term' | 'working'): boolean {
    if (this.#closed) return false
    try {
      if (how === 'ack') msg.ack()
      else if (how === 'term') msg.term(DROP_REASON)
      else msg.working()
      return true
    } catch (err: unknown) {
      // Publishing throws only on a closed connection (a reconnecting one buffers). JetStream
      // redelivers what is still held after the ack wait, to whichever instance pulls then.
      this.#log.warn({ err: describeError(err), held: this.#holds.size }, 'NATS connection closed; held JetStream messages will be redelivered')
      this.close()
      return false
    }
  }

  #moveToEnd(seq: number, hold: Hold): void {
    this.#holds.delete(seq)
    this.#holds.set(seq, hold)
  }

  #startTimer(): void {
    if (this.#timer !== undefined || this.#closed) return
    this.#timer = setInterval(() => this.tick(), this.#tickMs)
    this.#timer.unref() // held messages alone must not keep the process alive
  }

  #stopTimerIfIdle(): void {
    if (this.#holds.size > 0) return
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
