import { RouteStats } from '../../src/route/route-stats.js'
import type { RouteStatus, ServiceStatus } from '../../src/status/service-status.js'

/** A route's status with these figures; the rest empty. */
export function routeStatus(id: string, over: Partial<Omit<RouteStatus, 'stats'>> & { stats?: Partial<RouteStats> } = {}): RouteStatus {
  const { stats, ...rest } = over
  return { id, configured: true, queued: 0, queuedBytes: 0, oldestReceivedAt: undefined, inFlight: 0, ...rest, stats: Object.assign(new RouteStats(), stats) }
}

/**
 * A service status for unit tests of what reads it (health verdict, readiness, history): all well,
 * both links up, nothing queued, unless `over` says otherwise.
 */
export function serviceStatus(over: Partial<ServiceStatus> = {}): ServiceStatus {
  const link = { reconnects: 0, since: 0, outages: [] }
  return {
    nats: 'connected',
    mqtt: 'connected',
    store: 'ok',
    queued: 0,
    lastError: undefined,
    lastErrorAt: undefined,
    startedAt: 0,
    links: { nats: link, mqtt: link },
    ackWaitMs: 0,
    deadLetteredLastHour: 0,
    deadLetters: { total: 0, lastHour: 0, recent: [] },
    window: undefined,
    routes: [],
    ...over,
  }
}
