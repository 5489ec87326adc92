import type { ServiceStatus } from '../status/service-status.js'
import { buildInfo } from '../version.js'
import type { HttpServer } from './server.js'
import { sendJson } from './server.js'

/** A status as /health, /status and the status page read it: the service's, plus the reload's error. */
export type HealthInput = ServiceStatus & { configError?: string }

/** What /health says, and why. */
export interface HealthVerdict {
  /** `fail` (503): NATS is down, as the Go service. `warn` (200): running, but something needs a look. */
  status: 'pass' | 'warn' | 'fail'
  /** One line per reason for `warn` or `fail`; empty on `pass`. */
  reasons: string[]
}

/** In flight without an ack for longer than this many keep-alives: the broker is not answering. */
const STALLED_KEEP_ALIVES = 3

/**
 * The verdict of /health (issue 10, item 2): `fail` while NATS is down (503, as the Go service, so
 * that its orchestration keeps working); `warn` while the cloud link is down, while messages have
 * been in flight without an ack for more than 3 keep-alives, or when anything was dead-lettered in
 * the last hour; `pass` otherwise.
 */
export function healthVerdict(s: HealthInput, keepAliveMs: number): HealthVerdict {
  const reasons: string[] = []
  if (s.nats !== 'connected') reasons.push('NATS disconnected')
  if (s.mqtt !== 'connected') reasons.push('MQTT broker disconnected')
  const stalledAfterMs = STALLED_KEEP_ALIVES * keepAliveMs
  if (s.ackWaitMs > stalledAfterMs) {
    reasons.push(`messages in flight without an ack from the broker for ${Math.round(s.ackWaitMs / 1000)} s (more than ${STALLED_KEEP_ALIVES} keep-alives)`)
  }
  if (s.deadLetteredLastHour > 0) reasons.push(`${s.deadLetteredLastHour} message(s) dead-lettered in the last hour`)
  const status = s.nats !== 'connected' ? 'fail' : reasons.length > 0 ? 'warn' : 'pass'
  return { status, reasons }
}

/** `/health` and `/version` (README.md, "HTTP"; docs/operations.md, section 2), in the shape of the Mainflux services plus our fields. */
export function registerHealth(http: HttpServer, status: () => HealthInput, keepAliveMs: () => number): void {
  http.on('GET', '/health', (_req, res) => {
    const s = status()
    const info = buildInfo()
    const verdict = healthVerdict(s, keepAliveMs())
    sendJson(res, verdict.status === 'fail' ? 503 : 200, {
      status: verdict.status,
      version: info.version,
      commit: info.commit,
      description: 'export service',
      build_time: info.buildTime,
      nats: s.nats,
      mqtt: s.mqtt,
      store: s.store,
      queued: s.queued,
      last_error: s.configError ?? s.lastError ?? '',
      reasons: verdict.reasons,
    })
  })
  http.on('GET', '/version', (_req, res) => {
    sendJson(res, 200, { service: 'export', version: buildInfo().version })
  })
}
