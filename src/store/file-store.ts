import type { StoreLimits } from '../config/types.js'
import { describeError, StoreError } from '../errors.js'
import { createLogger } from '../logger.js'
import type { DeadLetter, DeadLetterReason, DeadLetterSelection, DeadLetterSummary } from './dead-letters.js'
import { listed } from './dead-letters.js'
import { FileDeadLetters } from './file-dead-letters.js'
import { GroupCommit } from './group-commit.js'
import { MessageState, messageBytes } from './message.js'
import type { Settled, StoredMessage } from './message.js'
import { MaxAgeSweep, dropExpired, makeRoom } from './drop-policies.js'
import type { DroppableQueues } from './drop-policies.js'
import { RouteQueue } from './route-queue.js'
import { DB_FILE, SqliteQueue } from './sqlite-queue.js'
import type { StoreLogger } from './sqlite-queue.js'
import { SILENT_LISTENER } from './store.js'
import type { DropReason, MessageStore, RouteQueueStats, StoreListener } from './store.js'

export type { StoreLogger } from './sqlite-queue.js'

/** Options of {@link FileStore}: `[store]` of the config, plus knobs for tests. */
export interface FileStoreConfig extends StoreLimits {
  /** Directory of the store; the database is `<path>/queue.db`. */
  path: string
  /**
   * Queued messages of one route kept in memory (the head of its queue), besides those in flight
   * (which the MQTT window bounds); default 5,000.
   */
  windowMessages?: number
  /** Bytes of one route's queued head kept in memory; default 8 MiB. At least one message is always kept. */
  windowBytes?: number
  /**
   * Queued messages that routes may keep in memory beyond their windows while the link is up, all
   * routes together (default 50,000), so that a burst that fits in memory is never read back from
   * disk. 0 turns it off.
   */
  burstMessages?: number
  /** Bytes of that burst allowance, all routes together; default 16 MiB. */
  burstBytes?: number
  /**
   * Test only: SQLite's `max_page_count` (pages of 4 KiB), so that SQLITE_FULL happens for real
   * without filling a disk. Never set it in production.
   */
  maxPageCount?: number
}

// A window is also the batch read back from disk: small enough that reading one does not hold
// up the event loop, large enough to keep a connection's in-flight window fed between reads.
const DEFAULT_WINDOW_MESSAGES = 5000
const DEFAULT_WINDOW_BYTES = 8 * 1024 * 1024
// A burst written to disk and read straight back costs a SELECT and its garbage per message:
// measured on a 100k burst at QoS 0, about 15 % of the service's CPU and 40–50 MiB of peak RSS
// (docs/store.md). What stays in memory instead is bounded store-wide, so a long outage
// still keeps memory flat (1M queued: measured in `npm run bench`, group rss).
const DEFAULT_BURST_MESSAGES = 50_000
const DEFAULT_BURST_BYTES = 16 * 1024 * 1024

/**
 * A route's queue: the head in memory (`window`), the rest (`tail`) on disk or still in the
 * pending-insert buffer. Every tail message comes after every window message.
 */
interface RouteState {
  readonly id: string
  readonly no: number
  readonly window: RouteQueue
  tailCount: number
  tailBytes: number
  /** seq of the newest message that entered the window: the tail is what comes after it. */
  windowEnd: number
}

/**
 * Messages wait on disk (SQLite, see docs/store.md) and survive restarts and `kill -9`; the
 * default store (`[store] type = "file"`). Same semantics as {@link MemoryStore}, including
 * overflow and `max_age`.
 *
 * `append` only buffers; a timer commits appends and acks together in one transaction at most
 * 20 ms later, so a message appended more than 100 ms before a crash is on disk. An ack that comes
 * before its message was committed cancels the insert. Memory stays flat during a long outage:
 * only a window of each route's head is in memory, the rest is loaded back in order as it drains.
 */
export class FileStore implements MessageStore {
  readonly kind = 'file' as const
  readonly #config: FileStoreConfig
  readonly #log: StoreLogger
  readonly #windowMessages: number
  readonly #windowBytes: number
  readonly #burstMessages: number
  readonly #burstBytes: number
  /** The cloud link is up (see linkUp()): a burst will leave soon, and may stay in memory. */
  #linkUp = false
  readonly #lowWater: number
  readonly #routes = new Map<string, RouteState>()
  /** Both set by open() and cleared by close(). */
  #disk: SqliteQueue | undefined
  #commits: GroupCommit | undefined
  #listener: StoreListener | undefined
  #seq = 0
  #bytes = 0
  /** `onSettled` of tail messages, by seq, until they are loaded into their window. */
  readonly #callbacks = new Map<number, Settled>()
  readonly #sweep: MaxAgeSweep
  /** The database was found corrupt and moved aside at open: kept until restart, messages were lost. */
  #lastError: string | undefined
  /** Queued rows could not be read back; cleared by the next read that works. */
  #readError: string | undefined
  #closed = false
  /** Set by open(): the `dead_letters` table (issue 10). */
  #dead: FileDeadLetters | undefined
  #recoveredSeq = 0

  constructor(config: FileStoreConfig, log?: StoreLogger) {
    this.#config = config
    this.#log = log ?? createLogger('info').child({ component: 'store' })
    this.#windowMessages = Math.max(1, config.windowMessages ?? DEFAULT_WINDOW_MESSAGES)
    this.#windowBytes = Math.max(1, config.windowBytes ?? DEFAULT_WINDOW_BYTES)
    this.#burstMessages = Math.max(0, config.burstMessages ?? DEFAULT_BURST_MESSAGES)
    this.#burstBytes = Math.max(0, config.burstBytes ?? DEFAULT_BURST_BYTES)
    this.#lowWater = Math.max(1, Math.floor(this.#windowMessages / 2))
    this.#sweep = new MaxAgeSweep(config.maxAgeMs, (now) => this.sweepExpired(now))
  }

  get recoveredSeq(): number {
    return this.#recoveredSeq
  }

  /** True while commits fail with SQLITE_FULL: new messages are refused (dropped as `disk_full`). */
  get diskFull(): boolean {
    return this.#commits?.failure?.diskFull ?? false
  }

  /** The store's problem for /health: failing commits (disk full), else the database moved aside at open. */
  get lastError(): string | undefined {
    return this.#commits?.failure?.message ?? this.#readError ?? this.#lastError
  }

  /**
   * Messages held in memory: the route windows plus the pending-insert buffer (an upper bound, a
   * message may be in both). Bounded by routes × `windowMessages` + `burstMessages` + the messages in
   * flight (the MQTT window) + one commit batch, however many wait on disk.
   */
  get residentMessages(): number {
    let n = this.#commits?.pendingInserts ?? 0
    for (const route of this.#routes.values()) n += route.window.count
    return n
  }

  /** Appends and acks buffered for the next group commit (0 once it ran). */
  get uncommitted(): number {
    return this.#commits?.uncommitted ?? 0
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

  /**
   * Opens `<path>/queue.db` and recovers every route's queue: after a restart the messages are
   * claimed again in their original order, the ones that were in flight included.
   *
   * @throws {StoreError} EXP_STORE_UNAVAILABLE if the directory cannot be created or written.
   */
  open(listener: StoreListener): Promise<void> {
    try {
      this.#listener = listener
      const disk = SqliteQueue.open(this.#config.path, { maxBytes: this.#config.maxBytes, maxPageCount: this.#config.maxPageCount }, this.#log)
      this.#disk = disk
      this.#commits = new GroupCommit(disk, this.#log)
      if (disk.movedAside !== undefined) this.#lastError = `store ${disk.dir}: ${DB_FILE} was corrupt, moved aside to ${disk.movedAside}; started with an empty queue`
      this.#seq = disk.lastSeq
      this.#recoveredSeq = disk.lastSeq
      this.#dead = new FileDeadLetters(disk.deadLetters, this.#config.maxBytes, this.#log, (routeId, reason) => this.#drop(routeId, 1, reason))
      let messages = 0
      for (const r of disk.recovered) {
        const route = this.#addRoute(r.name, r.routeNo)
        route.tailCount = r.messages
        route.tailBytes = r.bytes
        this.#bytes += r.bytes
        messages += r.messages
        this.#topUp(route)
      }
      if (messages > 0) this.#log.info({ dir: disk.dir, routes: disk.recovered.length, messages, bytes: this.#bytes }, 'store recovered queued messages')
      this.#sweep.start()
      return Promise.resolve()
    } catch (err: unknown) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /**
   * Buffers the message; it is committed within 20 ms. `onSettled` stays in memory only (with the
   * file store, acknowledge a JetStream message after `flush()` instead: it survives a restart).
   */
  append(routeId: string, topic: string, payload: Buffer, receivedAt: number, onSettled?: Settled): boolean {
    const disk = this.#disk
    const commits = this.#commits
    if (disk === undefined || commits === undefined) return false
    if (commits.failure) {
      this.#drop(routeId, 1, 'disk_full')
      return false
    }
    const bytes = messageBytes(topic, payload)
    if (this.#bytes + bytes > this.#config.maxBytes && !this.#makeRoom(routeId, bytes)) return false
    const route = this.#routes.get(routeId) ?? this.#addRoute(routeId, disk.routeNo(routeId))
    const stored: StoredMessage = { topic, payload, receivedAt, seq: ++this.#seq, bytes, state: MessageState.Queued, onSettled }
    const window = route.window
    if (route.tailCount === 0 && this.#keepsInMemory(route, bytes)) {
      window.push(stored)
      route.windowEnd = stored.seq
    } else {
      route.tailCount++
      route.tailBytes += bytes
      // The message object is not kept once committed; its callback waits here until it is loaded.
      if (onSettled !== undefined) this.#callbacks.set(stored.seq, onSettled)
    }
    this.#bytes += bytes
    commits.insert(stored, route.no)
    this.#listener?.available(routeId)
    return true
  }

  /**
   * Commits what is buffered now. Resolves once it is on disk (in the WAL: safe from a crash of the
   * process); rejects with EXP_STORE_FULL while commits fail, the messages staying buffered.
   */
  flush(): Promise<void> {
    if (this.#commits === undefined || this.#commits.commit()) return Promise.resolve()
    return Promise.reject(new StoreError('EXP_STORE_FULL', this.#commits.failure?.message ?? `store ${this.#config.path}: commit failed`))
  }

  claim(routeId: string, max: number): StoredMessage[] {
    const route = this.#routes.get(routeId)
    if (!route) return []
    const out = route.window.claim(max)
    while (route.tailCount > 0 && route.window.queuedCount < this.#lowWater) {
      if (this.#topUp(route) === 0) break
      if (out.length < max) route.window.claim(max, out)
    }
    return out
  }

  linkUp(up: boolean): void {
    this.#linkUp = up
  }

  ack(routeId: string, message: StoredMessage): void {
    const route = this.#routes.get(routeId)
    if (route?.window.complete(message)) this.#forget(message)
  }

  release(routeId: string, message: StoredMessage): void {
    this.#routes.get(routeId)?.window.release(message)
  }

  releaseAll(routeId: string): void {
    this.#routes.get(routeId)?.window.releaseAll()
  }

  deadLetter(routeId: string, m: StoredMessage, reason: DeadLetterReason, detail: string): void {
    const route = this.#routes.get(routeId)
    if (!route || !this.#dead || !route.window.complete(m)) return
    this.#bytes -= m.bytes
    // Not saved (disk full): its row, if any, goes with the next commit like an ack's.
    if (!this.#dead.add(routeId, m, reason, detail)) this.#commits?.delete(m)
    if (route.tailCount > 0 && route.window.queuedCount < this.#lowWater) this.#topUp(route)
  }

  deadLetters(): readonly DeadLetter[] {
    return this.#dead?.items ?? []
  }

  deadLetterSummary(now: number): DeadLetterSummary {
    return this.#dead?.summary(now) ?? { total: 0, lastHour: 0, recent: [] }
  }

  /**
   * Moves dead letters back into `messages` with their seqs and into their routes' windows at
   * their place. Commits what is buffered first, so that the rows put back fall into order among
   * each route's tail on disk.
   */
  replayDeadLetters(selection: DeadLetterSelection): DeadLetter[] {
    const disk = this.#disk
    const commits = this.#commits
    if (!disk || !commits || !this.#dead) return []
    if (!commits.commit()) throw new StoreError('EXP_STORE_FULL', commits.failure?.message ?? `store ${disk.dir}: commit failed`)
    const taken = this.#dead.takeBack(selection, (name) => this.#routes.get(name)?.no ?? disk.routeNo(name))
    const back = new Map<RouteState, StoredMessage[]>()
    for (const d of taken) {
      const route = this.#routes.get(d.route) ?? this.#addRoute(d.route, disk.routeNo(d.route))
      const m: StoredMessage = { topic: d.topic, payload: d.payload, receivedAt: d.receivedAt, seq: d.seq, bytes: messageBytes(d.topic, d.payload), state: MessageState.Queued, onSettled: undefined }
      this.#bytes += m.bytes
      if (d.seq > route.windowEnd && route.tailCount > 0) {
        // After the window: on disk among the tail, in seq order, loaded in its turn.
        route.tailCount++
        route.tailBytes += m.bytes
      } else {
        back.set(route, [...(back.get(route) ?? []), m])
        route.windowEnd = Math.max(route.windowEnd, d.seq)
      }
    }
    for (const [route, messages] of back) route.window.restore(messages)
    for (const routeId of new Set(taken.map((d) => d.route))) this.#listener?.available(routeId)
    return taken.map(listed)
  }

  purgeDeadLetters(selection: DeadLetterSelection): DeadLetter[] {
    return this.#dead?.purge(selection) ?? []
  }

  queued(routeId: string): number {
    const route = this.#routes.get(routeId)
    return route ? route.window.queuedCount + route.tailCount : 0
  }

  stats(routeId: string): RouteQueueStats {
    const route = this.#routes.get(routeId)
    if (!route) return { messages: 0, bytes: 0, oldestReceivedAt: undefined }
    // The window is refilled whenever it runs low, so it is empty only if the whole queue is.
    if (route.window.count === 0 && route.tailCount > 0) this.#topUp(route)
    return { messages: route.window.count + route.tailCount, bytes: route.window.bytes + route.tailBytes, oldestReceivedAt: route.window.oldest()?.receivedAt }
  }

  routeIds(): string[] {
    return [...this.#routes.keys()]
  }

  /** Commits what is buffered and closes the database. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    this.#sweep.stop()
    this.#commits?.close()
    this.#disk?.close()
    this.#commits = undefined
    this.#disk = undefined
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** Drops queued messages older than `max_age`. Public so tests can run it at a chosen time. */
  sweepExpired(now: number): void {
    dropExpired(now - this.#config.maxAgeMs, this.#droppable, (id, count) => this.#drop(id, count, 'max_age'))
  }

  /** Applies the overflow policy; true if there is now room for `bytes`. */
  #makeRoom(routeId: string, bytes: number): boolean {
    const fits = (): boolean => this.#bytes + bytes <= this.#config.maxBytes
    return makeRoom(routeId, this.#config.overflow, fits, this.#droppable, (id, count) => this.#drop(id, count, 'overflow'))
  }

  /** The routes, for the drop policies. A route's oldest queued message is always in its window (the tail comes after it). */
  readonly #droppable: DroppableQueues<RouteState> = {
    routes: { [Symbol.iterator]: () => this.#routes.values() },
    queueOf: (route) => route.window,
    remove: (route, m) => this.#remove(route, m),
  }

  /** Removes a queued message (a drop) and refills the window so the next oldest is in memory. */
  #remove(route: RouteState, m: StoredMessage): void {
    route.window.complete(m)
    this.#forget(m)
    if (route.tailCount > 0 && route.window.queuedCount < this.#lowWater) this.#topUp(route)
  }

  /** A message left the store. */
  #forget(m: StoredMessage): void {
    this.#bytes -= m.bytes
    this.#commits?.delete(m)
  }

  /**
   * Whether a new message of a route with no tail on disk stays in its window. A window with
   * nothing queued takes it even when full (of in-flight messages): a route's oldest queued message
   * must always be in memory, where the drop policies look for it. Beyond its own window, while the
   * link is up, a route takes from the burst allowance all routes share (O(routes), only for those
   * messages): they will leave soon. While it is down, an outage's backlog goes to disk, and memory
   * stays flat.
   */
  #keepsInMemory(route: RouteState, bytes: number): boolean {
    const window = route.window
    if (window.queuedCount === 0) return true
    if (window.queuedCount < this.#windowMessages && window.queuedBytes + bytes <= this.#windowBytes) return true
    if (!this.#linkUp) return false
    let messages = 1
    let total = bytes
    for (const route of this.#routes.values()) {
      const q = route.window
      if (q.queuedCount > this.#windowMessages) messages += q.queuedCount - this.#windowMessages
      if (q.queuedBytes > this.#windowBytes) total += q.queuedBytes - this.#windowBytes
    }
    return messages <= this.#burstMessages && total <= this.#burstBytes
  }

  /**
   * Loads the next messages of the route's tail into its window, in seq order; returns how many.
   * The tail is on disk up to the last commit and in the pending-insert buffer after it (every
   * pending seq is above every committed one): first the rows, then the buffer. A commit is not
   * forced for it: a window that drains fast would otherwise turn the group commit into many small
   * ones.
   */
  #topUp(route: RouteState): number {
    const disk = this.#disk
    const commits = this.#commits
    if (disk === undefined || commits === undefined) return 0
    const window = route.window
    // Bounds the queued head only: messages in flight are bounded by the MQTT window.
    const room = Math.max(this.#windowMessages - window.queuedCount, 1)
    let loaded = 0
    let loadedBytes = 0
    const fits = (bytes: number): boolean => window.queuedCount === 0 || window.queuedBytes + bytes <= this.#windowBytes
    try {
      const rows = disk.load(route.no, route.windowEnd, room)
      this.#readError = undefined
      for (const [seq, topic, payload, receivedAt, bytes] of rows) {
        if (!fits(bytes)) break
        const onSettled = this.#callbacks.size > 0 ? this.#takeCallback(seq) : undefined
        window.push({ topic, payload, receivedAt, seq, bytes, state: MessageState.Queued, onSettled })
        route.windowEnd = seq
        loaded++
        loadedBytes += bytes
      }
    } catch (err: unknown) {
      // Left in the tail: the next claim tries again. Logged once per distinct error.
      const message = `store ${disk.dir}: cannot read queued messages of route ${route.id}: ${describeError(err)}`
      if (message !== this.#readError) this.#log.error({ dir: disk.dir, route: route.id, err: describeError(err) }, 'store cannot read queued messages')
      this.#readError = message
    }
    if (loaded < room && route.tailCount > loaded) {
      for (const m of commits.pendingAfter(route.no, route.windowEnd)) {
        if (loaded >= room || !fits(m.bytes)) break
        this.#callbacks.delete(m.seq)
        window.push(m)
        route.windowEnd = m.seq
        loaded++
        loadedBytes += m.bytes
      }
    }
    route.tailCount -= loaded
    route.tailBytes -= loadedBytes
    return loaded
  }

  #takeCallback(seq: number): Settled | undefined {
    const fn = this.#callbacks.get(seq)
    if (fn !== undefined) this.#callbacks.delete(seq)
    return fn
  }

  #drop(routeId: string, count: number, reason: DropReason): void {
    this.#listener?.dropped(routeId, count, reason)
  }

  #addRoute(id: string, no: number): RouteState {
    const route: RouteState = { id, no, window: new RouteQueue(), tailCount: 0, tailBytes: 0, windowEnd: 0 }
    this.#routes.set(id, route)
    return route
  }
}
