import { DeadLetterList, listed } from './dead-letters.js'
import type { DeadLetter, DeadLetterReason, DeadLetterSelection, DeadLetterSummary, DeadLetterWithPayload } from './dead-letters.js'
import { MessageState, messageBytes } from './message.js'
import type { Settled, StoredMessage } from './message.js'
import { MaxAgeSweep, dropExpired, makeRoom } from './drop-policies.js'
import type { DroppableQueues } from './drop-policies.js'
import { RouteQueue } from './route-queue.js'
import { SILENT_LISTENER } from './store.js'
import type { DropReason, MessageStore, RouteQueueStats, StoreLimits, StoreListener } from './store.js'

/** Dead letters held in RAM: fewer than the file store keeps on disk. */
const MAX_DEAD_LETTERS_IN_MEMORY = 1000

/**
 * Messages wait in RAM, bounded by `max_bytes`. Fastest, but a restart or crash loses the backlog:
 * for operators who prefer speed over durability (`[store] type = "memory"`).
 */
export class MemoryStore implements MessageStore {
  readonly kind = 'memory' as const
  readonly #limits: StoreLimits
  readonly #queues = new Map<string, RouteQueue>()
  #listener: StoreListener | undefined
  #seq = 0
  #bytes = 0
  readonly #sweep: MaxAgeSweep
  readonly #dead: DeadLetterList<DeadLetterWithPayload>
  /** Nothing survives a restart: every message is this run's. */
  readonly recoveredSeq = 0

  constructor(limits: StoreLimits) {
    this.#limits = limits
    this.#sweep = new MaxAgeSweep(limits.maxAgeMs, (now) => this.sweepExpired(now))
    // Bounded by count and by an eighth of max_bytes, on top of the queue's max_bytes.
    this.#dead = new DeadLetterList(MAX_DEAD_LETTERS_IN_MEMORY, Math.max(64 * 1024, Math.floor(limits.maxBytes / 8)))
  }

  listen(listener: StoreListener): void {
    this.#listener = listener
  }

  start(): Promise<void> {
    return this.open(this.#listener ?? SILENT_LISTENER)
  }

  stop(_deadlineMs: number): Promise<void> {
    return this.flush()
  }

  open(listener: StoreListener): Promise<void> {
    this.#listener = listener
    this.#sweep.start()
    return Promise.resolve()
  }

  append(routeId: string, topic: string, payload: Buffer, receivedAt: number, onSettled?: Settled): boolean {
    const bytes = messageBytes(topic, payload)
    if (this.#bytes + bytes > this.#limits.maxBytes && !this.#makeRoom(routeId, bytes)) return false
    const stored: StoredMessage = { topic, payload, receivedAt, seq: ++this.#seq, bytes, state: MessageState.Queued, onSettled }
    this.#queue(routeId).push(stored)
    this.#bytes += bytes
    this.#listener?.available(routeId)
    return true
  }

  flush(): Promise<void> {
    return Promise.resolve()
  }

  claim(routeId: string, max: number): StoredMessage[] {
    const queue = this.#queues.get(routeId)
    return queue ? queue.claim(max) : []
  }

  linkUp(_up: boolean): void {
    // Every message is in memory anyway.
  }

  ack(routeId: string, message: StoredMessage): void {
    const queue = this.#queues.get(routeId)
    if (queue?.complete(message)) this.#bytes -= message.bytes
  }

  release(routeId: string, message: StoredMessage): void {
    this.#queues.get(routeId)?.release(message)
  }

  releaseAll(routeId: string): void {
    this.#queues.get(routeId)?.releaseAll()
  }

  queued(routeId: string): number {
    return this.#queues.get(routeId)?.queuedCount ?? 0
  }

  deadLetter(routeId: string, message: StoredMessage, reason: DeadLetterReason, detail: string): void {
    if (this.#queues.get(routeId)?.complete(message) !== true) return
    this.#bytes -= message.bytes
    const { seq, topic, payload, receivedAt } = message
    const discarded = this.#dead.add({ seq, route: routeId, topic, payload, bytes: payload.length, receivedAt, deadLetteredAt: Date.now(), reason, detail })
    for (const d of discarded) this.#drop(d.route, 1, 'dead_letter_full')
  }

  deadLetters(): readonly DeadLetter[] {
    return this.#dead.items.map(listed)
  }

  deadLetterSummary(now: number): DeadLetterSummary {
    return this.#dead.summary(now)
  }

  replayDeadLetters(selection: DeadLetterSelection): DeadLetter[] {
    const chosen = this.#dead.select(selection)
    this.#dead.remove(new Set(chosen.map((d) => d.seq)))
    const byRoute = new Map<string, StoredMessage[]>()
    for (const d of chosen) {
      const bytes = messageBytes(d.topic, d.payload)
      const m: StoredMessage = { topic: d.topic, payload: d.payload, receivedAt: d.receivedAt, seq: d.seq, bytes, state: MessageState.Queued, onSettled: undefined }
      byRoute.set(d.route, [...(byRoute.get(d.route) ?? []), m])
      this.#bytes += bytes
    }
    for (const [routeId, messages] of byRoute) {
      this.#queue(routeId).restore(messages)
      this.#listener?.available(routeId)
    }
    return chosen.map(listed)
  }

  purgeDeadLetters(selection: DeadLetterSelection): DeadLetter[] {
    const chosen = this.#dead.select(selection)
    this.#dead.remove(new Set(chosen.map((d) => d.seq)))
    return chosen.map(listed)
  }

  stats(routeId: string): RouteQueueStats {
    const queue = this.#queues.get(routeId)
    return { messages: queue?.count ?? 0, bytes: queue?.bytes ?? 0, oldestReceivedAt: queue?.oldest()?.receivedAt }
  }

  routeIds(): string[] {
    return [...this.#queues.keys()]
  }

  close(): Promise<void> {
    this.#sweep.stop()
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** Drops queued messages older than `max_age`. Public so tests can run it at a chosen time. */
  sweepExpired(now: number): void {
    dropExpired(now - this.#limits.maxAgeMs, this.#droppable(), (id, count) => this.#drop(id, count, 'max_age'))
  }

  /** Applies the overflow policy; true if there is now room for `bytes`. */
  #makeRoom(routeId: string, bytes: number): boolean {
    const fits = (): boolean => this.#bytes + bytes <= this.#limits.maxBytes
    return makeRoom(routeId, this.#limits.overflow, fits, this.#droppable(), (id, count) => this.#drop(id, count, 'overflow'))
  }

  /** The routes' queues, for the drop policies. */
  #droppable(): DroppableQueues<{ id: string; queue: RouteQueue }> {
    return {
      routes: [...this.#queues].map(([id, queue]) => ({ id, queue })),
      queueOf: (route) => route.queue,
      remove: (route, m) => {
        route.queue.complete(m)
        this.#bytes -= m.bytes
      },
    }
  }

  #drop(routeId: string, count: number, reason: DropReason): void {
    this.#listener?.dropped(routeId, count, reason)
  }

  #queue(routeId: string): RouteQueue {
    let queue = this.#queues.get(routeId)
    if (!queue) {
      queue = new RouteQueue()
      this.#queues.set(routeId, queue)
    }
    return queue
  }
}
