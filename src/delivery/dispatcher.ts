import { systemClock } from '../clock.js'
import type { Clock } from '../clock.js'
import type { Lifecycle } from '../lifecycle.js'
import type { StoredMessage } from '../store/message.js'
import type { MessageStore } from '../store/store.js'
import { AckPath } from './ack-path.js'
import type { DeliveryObserver } from './ack-path.js'
import type { SendCheck } from './send-check.js'

export type { DeliveryObserver } from './ack-path.js'

/** What the dispatcher needs to know of a route. */
export interface DispatchRoute {
  readonly id: string
  /** 0–9; higher drains first. */
  readonly priority: number
}

/** The MQTT side, as the dispatcher sees it (MqttSink). */
export interface Publisher {
  /** Ready for new publishes. */
  readonly connected: boolean
  /** How many more publishes the connection's window takes now, all routes together. */
  room(): number
  /** Told when queued messages wait for lack of room: the window is what limits the sender. */
  limited(): void
  publish(topic: string, payload: Buffer, done: (err?: Error) => void): void
  /** Runs `fn`, whose publishes may be written to the socket together (one syscall, not one each). */
  batch(fn: () => void): void
}

export interface DispatcherOptions {
  /** Issue 10: a message that would block the connection is dead-lettered instead of sent. */
  check?: SendCheck
  clock?: Clock
  /**
   * stop() keeps sending queued messages until its deadline (memory store: what is not sent is
   * lost at exit, so sending more is better than stopping early).
   */
  drainOnStop?: boolean
}

interface Lane {
  route: DispatchRoute
  inFlight: number
  /** Still configured; an unconfigured lane only drains what is already queued. */
  configured: boolean
}

/** Routes that are no longer configured (or found in a durable store) drain with these. */
const ORPHAN_DEFAULTS = { priority: 0 }
/** Messages handed out per pump before yielding to the event loop (QoS 0 acks synchronously). */
const PUMP_BUDGET = 2000

/**
 * Moves messages from the store to the broker: per route, in order, as many as the connection's
 * window has room for. Routes share the window: when several have a backlog, a higher `priority`
 * goes first (a lower-priority route gets nothing while a higher one still has queued messages),
 * and routes of one priority share the room fairly, each in its own order.
 *
 * Order: all publishes go over one MQTT connection in claim order, so the broker sees each route
 * (and each subject) in order; after a link cut mqtt.js resends the unacknowledged ones first.
 */
export class Dispatcher implements Lifecycle {
  readonly #store: MessageStore
  readonly #acks: AckPath
  readonly #check: SendCheck | undefined
  readonly #clock: Clock
  readonly #drainOnStop: boolean
  readonly #lanes = new Map<string, Lane>()
  #ordered: Lane[] = []
  #publisher: Publisher | undefined
  /** Bumped when the publisher changes: callbacks from an old connection are ignored. */
  #generation = 0
  /** Sum of the lanes' inFlight. */
  #inFlightTotal = 0
  #pumping = false
  #pumpAgain = false
  #scheduled = false
  #claiming = true
  #closed = false
  /** Bumped every pass: where the fair split of a priority level starts. */
  #rotation = 0
  #idleWaiters: Array<() => void> = []
  /** The last ack, or when the window last went from empty to busy: /health's "in flight without an ack". */
  #ackAwaitedSince = 0

  constructor(store: MessageStore, observer: DeliveryObserver, options: DispatcherOptions = {}) {
    this.#store = store
    this.#clock = options.clock ?? systemClock
    this.#acks = new AckPath(store, observer, this.#clock)
    this.#check = options.check
    this.#drainOnStop = options.drainOnStop ?? false
  }

  /** Hands out messages whenever the publisher has room (the dispatcher starts claiming at once). */
  start(): Promise<void> {
    if (!this.#closed) this.resume()
    return Promise.resolve()
  }

  /** Sets the configured routes; routes dropped from the config keep draining their queues. */
  setRoutes(routes: readonly DispatchRoute[]): void {
    const wanted = new Map(routes.map((r) => [r.id, r]))
    for (const [id, lane] of this.#lanes) {
      const route = wanted.get(id)
      if (route) {
        lane.route = route
        lane.configured = true
      } else if (lane.inFlight === 0 && this.#store.stats(id).messages === 0) {
        this.#lanes.delete(id)
      } else {
        lane.configured = false
        lane.route = { id, ...ORPHAN_DEFAULTS }
      }
    }
    for (const route of routes) if (!this.#lanes.has(route.id)) this.#lanes.set(route.id, { route, inFlight: 0, configured: true })
    for (const id of this.#store.routeIds()) if (!this.#lanes.has(id)) this.#lanes.set(id, { route: { id, ...ORPHAN_DEFAULTS }, inFlight: 0, configured: false })
    this.#reorder()
    this.schedule()
  }

  /** Uses a new connection. Whatever the old one had in flight is queued again, in order. */
  setPublisher(publisher: Publisher | undefined): void {
    this.#generation++
    this.#publisher = publisher
    for (const lane of this.#lanes.values()) {
      if (lane.inFlight > 0) this.#store.releaseAll(lane.route.id)
      lane.inFlight = 0
    }
    this.#inFlightTotal = 0
    this.#notifyIdle()
    this.schedule()
  }

  /** New messages for a route, or the connection came back: send what can be sent. */
  notify(routeId: string): void {
    if (!this.#lanes.has(routeId)) {
      this.#lanes.set(routeId, { route: { id: routeId, ...ORPHAN_DEFAULTS }, inFlight: 0, configured: false })
      this.#reorder()
    }
    // Many messages arrive per NATS socket read: send them after the read, together.
    this.schedule()
  }

  /** Pumps on the next tick (coalescing many requests into one). */
  schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.pump()
    })
  }

  /** How long messages have been in flight with no ack coming back (0 when none is in flight). */
  ackWaitMs(now = this.#clock.now()): number {
    return this.#inFlightTotal === 0 ? 0 : now - this.#ackAwaitedSince
  }

  inFlight(routeId?: string): number {
    if (routeId !== undefined) return this.#lanes.get(routeId)?.inFlight ?? 0
    return this.#inFlightTotal
  }

  /**
   * Stops handing out messages and waits until nothing is in flight or the deadline passes; with
   * `drainOnStop` (memory store), keeps sending queued messages until then.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (!this.#drainOnStop) this.#claiming = false
    await this.#waitUntil(() => this.#stopped(), this.#clock.now() + deadlineMs)
    this.#claiming = false
  }

  /** Stops handing out messages at once; what is in flight stays the store's (claimed again next run). */
  close(): Promise<void> {
    this.#closed = true
    this.#claiming = false
    this.#notifyIdle()
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #stopped(): boolean {
    if (this.inFlight() > 0) return false
    return !this.#drainOnStop || !this.#hasQueued() || this.#publisher?.connected !== true
  }

  /** Waits until `done()` or the deadline; woken when a lane empties, else re-checked every 100 ms. */
  async #waitUntil(done: () => boolean, deadline: number): Promise<void> {
    const clock = this.#clock
    while (!done() && !this.#closed && clock.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(resolve, Math.max(1, Math.min(100, deadline - clock.now())))
        this.#idleWaiters.push(() => {
          clock.clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /**
   * Stops handing out messages and waits (up to `deadlineMs`) for those in flight, e.g. before the
   * connection is replaced on reload, so that fewer are sent twice. `resume()` undoes it.
   */
  async pause(deadlineMs: number): Promise<void> {
    this.#claiming = false
    await this.#waitUntil(() => this.inFlight() === 0, this.#clock.now() + deadlineMs)
  }

  resume(): void {
    if (this.#closed) return
    this.#claiming = true
    this.schedule()
  }

  pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true
      return
    }
    const publisher = this.#publisher
    if (!publisher?.connected || !this.#claiming) return
    this.#pumping = true
    try {
      let budget = PUMP_BUDGET
      publisher.batch(() => {
        do {
          this.#pumpAgain = false
          budget -= this.#pumpOnce(publisher, budget)
        } while (this.#pumpAgain && budget > 0 && publisher.connected)
      })
      if (budget <= 0) this.schedule()
    } finally {
      this.#pumping = false
    }
  }

  /** One pass over the lanes by priority; returns how many messages it handed out. */
  #pumpOnce(publisher: Publisher, budget: number): number {
    const store = this.#store
    let room = Math.min(publisher.room(), budget)
    let sent = 0
    const lanes = this.#ordered
    for (let i = 0; i < lanes.length; ) {
      // The lanes of one priority level: lanes[i, end).
      let end = i
      while (end < lanes.length && lanes[end]!.route.priority === lanes[i]!.route.priority) end++
      const waiting: Lane[] = []
      for (let k = 0; k < end - i; k++) {
        // Start from a different lane each pass, so that leftovers of the fair split rotate.
        const lane = lanes[i + ((k + this.#rotation) % (end - i))]!
        if (store.queued(lane.route.id) > 0) waiting.push(lane)
      }
      const backlog = waiting.length > 0
      while (room > 0 && waiting.length > 0) {
        const share = Math.max(1, Math.floor(room / waiting.length))
        for (let k = 0; k < waiting.length && room > 0; ) {
          const lane = waiting[k]!
          const n = this.#send(publisher, lane, Math.min(share, room))
          room -= n
          sent += n
          // A lane that gave nothing (its store cannot hand out more now) is done for this pass.
          if (n === 0 || store.queued(lane.route.id) === 0) waiting.splice(k, 1)
          else k++
        }
      }
      // Strict priority: lower levels wait while this one still has queued messages.
      if (backlog && lanes.slice(i, end).some((lane) => store.queued(lane.route.id) > 0)) {
        if (room === 0 && sent < budget) publisher.limited()
        break
      }
      i = end
    }
    this.#rotation++
    return sent
  }

  /** Claims up to `max` messages of the lane, in order, and publishes them; returns how many. */
  #send(publisher: Publisher, lane: Lane, max: number): number {
    const generation = this.#generation
    const batch = this.#store.claim(lane.route.id, max)
    if (batch.length > 0 && this.#inFlightTotal === 0) this.#ackAwaitedSince = this.#clock.now()
    for (const message of batch) {
      const refusal = this.#check?.refuse(message)
      if (refusal !== undefined) {
        this.#acks.deadLetter(lane.route.id, message, refusal)
        continue
      }
      lane.inFlight++
      this.#inFlightTotal++
      publisher.publish(message.topic, message.payload, (err) => this.#onPublished(lane, message, generation, err))
    }
    return batch.length
  }

  #onPublished(lane: Lane, message: StoredMessage, generation: number, err: Error | undefined): void {
    if (generation !== this.#generation) return // that connection is gone; the message was re-queued
    lane.inFlight--
    this.#inFlightTotal--
    // The rest of the ack path (store, JetStream, counters) is in ack-path.ts.
    if (this.#acks.settle(lane.route.id, message, err)) this.#ackAwaitedSince = this.#clock.now()
    if (lane.inFlight === 0) this.#notifyIdle()
    // Acks arrive in bursts (one socket read holds many): refill once after the burst, so the
    // next publishes leave in one write instead of one write each.
    this.schedule()
  }

  #hasQueued(): boolean {
    for (const lane of this.#lanes.values()) if (this.#store.queued(lane.route.id) > 0) return true
    return false
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const wake of waiters) wake()
  }

  #reorder(): void {
    this.#ordered = [...this.#lanes.values()].sort((a, b) => b.route.priority - a.route.priority)
  }
}

