import { MessageState } from './message.js'
import type { StoredMessage } from './message.js'

/**
 * One route's FIFO in memory. Messages stay in `seq` order; `#head` is the first message not yet
 * done and `#cursor` the first one that may be queued (everything before it is in flight or done).
 * Acks may come out of order, so done messages are skipped rather than spliced out, and the array is
 * compacted once the dead prefix is large: O(1) amortised per message, no per-message allocation.
 */
export class RouteQueue {
  #items: StoredMessage[] = []
  #head = 0
  #cursor = 0
  /** Messages not done (queued or in flight). */
  count = 0
  bytes = 0
  /** Messages queued (not in flight, not done). */
  queuedCount = 0
  queuedBytes = 0

  push(message: StoredMessage): void {
    this.#items.push(message)
    this.count++
    this.queuedCount++
    this.queuedBytes += message.bytes
    this.bytes += message.bytes
  }

  /** Marks up to `max` queued messages in flight, in order. */
  claim(max: number, out: StoredMessage[] = []): StoredMessage[] {
    const items = this.#items
    let i = this.#cursor
    while (i < items.length && out.length < max) {
      const m = items[i++]!
      if (m.state !== MessageState.Queued) continue
      m.state = MessageState.InFlight
      this.queuedCount--
      this.queuedBytes -= m.bytes
      out.push(m)
    }
    // Skip a trailing run of in-flight/done messages so the next claim starts at a queued one.
    while (i < items.length && items[i]!.state !== MessageState.Queued) i++
    this.#cursor = i
    return out
  }

  /** Removes a message (delivered or dropped). Returns false if it was already done. */
  complete(message: StoredMessage): boolean {
    if (message.state === MessageState.Done) return false
    if (message.state === MessageState.Queued) {
      this.queuedCount--
      this.queuedBytes -= message.bytes
    }
    message.state = MessageState.Done
    this.count--
    this.bytes -= message.bytes
    this.#advanceHead()
    return true
  }

  release(message: StoredMessage): void {
    if (message.state !== MessageState.InFlight) return
    message.state = MessageState.Queued
    this.queuedCount++
    this.queuedBytes += message.bytes
    const index = this.#indexOf(message.seq)
    if (index >= 0 && index < this.#cursor) this.#cursor = index
  }

  releaseAll(): void {
    const items = this.#items
    for (let i = this.#head; i < items.length; i++) {
      const m = items[i]!
      if (m.state === MessageState.InFlight) {
        m.state = MessageState.Queued
        this.queuedCount++
        this.queuedBytes += m.bytes
      }
    }
    this.#cursor = this.#head
  }

  /**
   * Queues messages again at their place by seq (a dead-letter replay): ahead of every message of
   * the queue that came after them. O(queue length), for a rare operator action.
   */
  restore(messages: readonly StoredMessage[]): void {
    if (messages.length === 0) return
    const live = this.#items.slice(this.#head)
    const merged: StoredMessage[] = []
    let i = 0
    for (const m of [...messages].sort((a, b) => a.seq - b.seq)) {
      while (i < live.length && live[i]!.seq < m.seq) merged.push(live[i++]!)
      m.state = MessageState.Queued
      merged.push(m)
      this.count++
      this.queuedCount++
      this.bytes += m.bytes
      this.queuedBytes += m.bytes
    }
    while (i < live.length) merged.push(live[i++]!)
    this.#items = merged
    this.#head = 0
    this.#cursor = 0
  }

  /** The oldest message that is not done. */
  oldest(): StoredMessage | undefined {
    return this.count > 0 ? this.#items[this.#head] : undefined
  }

  /** The oldest queued (not in flight) message: the one a drop policy may remove. */
  oldestQueued(): StoredMessage | undefined {
    const items = this.#items
    for (let i = this.#cursor; i < items.length; i++) {
      if (items[i]!.state === MessageState.Queued) return items[i]
    }
    return undefined
  }

  /** Newest message (the tail), or undefined. */
  newest(): StoredMessage | undefined {
    for (let i = this.#items.length - 1; i >= this.#head; i--) {
      if (this.#items[i]!.state !== MessageState.Done) return this.#items[i]
    }
    return undefined
  }

  #advanceHead(): void {
    const items = this.#items
    while (this.#head < items.length && items[this.#head]!.state === MessageState.Done) this.#head++
    if (this.#cursor < this.#head) this.#cursor = this.#head
    if (this.#head === items.length) {
      this.#items = []
      this.#head = 0
      this.#cursor = 0
    } else if (this.#head >= 4096 && this.#head * 2 >= items.length) {
      this.#items = items.slice(this.#head)
      this.#cursor -= this.#head
      this.#head = 0
    }
  }

  #indexOf(seq: number): number {
    const items = this.#items
    let lo = this.#head
    let hi = items.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      const s = items[mid]!.seq
      if (s === seq) return mid
      if (s < seq) lo = mid + 1
      else hi = mid - 1
    }
    return -1
  }
}
