import type { OverflowPolicy } from '../config/types.js'
import type { StoredMessage } from './message.js'
import type { RouteQueue } from './route-queue.js'

/** What the overflow policy needs of a store; shared so both stores drop exactly alike. */
export interface OverflowSubject<R extends { readonly id: string }> {
  overflow: OverflowPolicy
  /** Whether the new message fits now. */
  fits(): boolean
  routes: readonly R[]
  /** The in-memory head of a route's queue (the file store's window holds its oldest queued message). */
  queueOf(route: R): RouteQueue
  /** Removes a dropped message and its bytes from the store. */
  remove(route: R, message: StoredMessage): void
  /** Counts and logs drops (listener.dropped). */
  dropped(routeId: string, count: number): void
}

/**
 * Applies the overflow policy before a message of route `routeId` is appended; true if it may be.
 * drop_newest refuses the new message. drop_oldest removes the oldest queued message store-wide
 * (smallest seq) until the new one fits; in-flight messages are the broker's already and are never
 * taken back, so when only those are left, the new message is the one dropped.
 */
export function makeRoom<R extends { readonly id: string }>(routeId: string, s: OverflowSubject<R>): boolean {
  if (s.overflow === 'drop_newest') {
    s.dropped(routeId, 1)
    return false
  }
  const droppedPerRoute = new Map<string, number>()
  while (!s.fits()) {
    let victimRoute: R | undefined
    let victim: StoredMessage | undefined
    for (const route of s.routes) {
      const m = s.queueOf(route).oldestQueued()
      if (m && (!victim || m.seq < victim.seq)) {
        victim = m
        victimRoute = route
      }
    }
    if (!victim || !victimRoute) break
    s.remove(victimRoute, victim)
    droppedPerRoute.set(victimRoute.id, (droppedPerRoute.get(victimRoute.id) ?? 0) + 1)
  }
  for (const [id, count] of droppedPerRoute) s.dropped(id, count)
  if (!s.fits()) {
    s.dropped(routeId, 1)
    return false
  }
  return true
}
