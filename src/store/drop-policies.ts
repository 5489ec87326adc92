import type { StoreLimits } from '../config/types.js'
import type { StoredMessage } from './message.js'
import type { RouteQueue } from './route-queue.js'

/**
 * The store's two drop policies, `[store] overflow` and `max_age` (docs/store.md, "Bounds:
 * `max_bytes` and `max_age`"), written once for both stores so that they drop exactly alike.
 */

/** What the drop policies need of a store. */
export interface DroppableQueues<R extends { readonly id: string }> {
  routes: Iterable<R>
  /** The in-memory head of a route's queue (the file store's window holds its oldest queued message). */
  queueOf(route: R): RouteQueue
  /** Removes a dropped message and its bytes from the store. */
  remove(route: R, message: StoredMessage): void
}

/** Removes a message by policy and tells whoever handed it in (a held JetStream message is terminated). */
function drop<R extends { readonly id: string }>(store: DroppableQueues<R>, route: R, message: StoredMessage): void {
  store.remove(route, message)
  message.onSettled?.('dropped')
}

/**
 * Applies the overflow policy before a message of route `routeId` is appended; true if it may be.
 * drop_newest refuses the new message. drop_oldest removes the oldest queued message store-wide
 * (smallest seq) until the new one fits; in-flight messages are the broker's already and are never
 * taken back, so when only those are left, the new message is the one dropped. `dropped` counts and
 * logs the drops (listener.dropped, reason `overflow`).
 */
export function makeRoom<R extends { readonly id: string }>(
  routeId: string,
  overflow: StoreLimits['overflow'],
  fits: () => boolean,
  store: DroppableQueues<R>,
  dropped: (routeId: string, count: number) => void,
): boolean {
  if (overflow === 'drop_newest') {
    dropped(routeId, 1)
    return false
  }
  const routes = [...store.routes]
  const droppedPerRoute = new Map<string, number>()
  while (!fits()) {
    let victimRoute: R | undefined
    let victim: StoredMessage | undefined
    for (const route of routes) {
      const m = store.queueOf(route).oldestQueued()
      if (m && (!victim || m.seq < victim.seq)) {
        victim = m
        victimRoute = route
      }
    }
    if (!victim || !victimRoute) break
    drop(store, victimRoute, victim)
    droppedPerRoute.set(victimRoute.id, (droppedPerRoute.get(victimRoute.id) ?? 0) + 1)
  }
  for (const [id, count] of droppedPerRoute) dropped(id, count)
  if (!fits()) {
    dropped(routeId, 1)
    return false
  }
  return true
}

/**
 * Drops every queued message received before `cutoff`, route by route, oldest first; a route's
 * queue is in receipt order, so the sweep stops at its first young message. In-flight messages are
 * left to their ack. `dropped` counts and logs them (reason `max_age`).
 */
export function dropExpired<R extends { readonly id: string }>(cutoff: number, store: DroppableQueues<R>, dropped: (routeId: string, count: number) => void): void {
  for (const route of store.routes) {
    const queue = store.queueOf(route)
    let count = 0
    for (let m = queue.oldestQueued(); m !== undefined && m.receivedAt < cutoff; m = queue.oldestQueued()) {
      drop(store, route, m)
      count++
    }
    if (count > 0) dropped(route.id, count)
  }
}

/** How often the `max_age` sweep runs at most: ages are in seconds and more, not milliseconds. */
const MAX_AGE_SWEEP_MS = 1000

/**
 * Runs a store's `max_age` sweep on a timer while the store is open: every second, or every
 * `maxAgeMs` when that is shorter; never when `maxAgeMs` is 0 (no limit).
 */
export class MaxAgeSweep {
  readonly #maxAgeMs: number
  readonly #sweep: (now: number) => void
  #timer: NodeJS.Timeout | undefined

  /** @param sweep drops what is older than `now - maxAgeMs` (the store's `sweepExpired`). */
  constructor(maxAgeMs: number, sweep: (now: number) => void) {
    this.#maxAgeMs = maxAgeMs
    this.#sweep = sweep
  }

  start(): void {
    if (this.#maxAgeMs <= 0 || this.#timer !== undefined) return
    this.#timer = setInterval(() => this.#sweep(Date.now()), Math.min(MAX_AGE_SWEEP_MS, this.#maxAgeMs))
    // A sweep is housekeeping: it must not keep the process alive.
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
