import { buildInfo } from '../version.js'
import { deadLetterJson } from './dead-letters.js'
import { healthVerdict } from './health.js'
import type { HealthInput } from './health.js'
import { STATUS_PAGE_HTML } from './status-page.js'
import type { HttpServer } from './server.js'
import { sendJson } from './server.js'
import type { StatusHistory } from './status-history.js'

/** `GET /` (the status page for a person) and `GET /status` (the JSON it polls). */
export function registerStatusPage(http: HttpServer, status: () => HealthInput, history: StatusHistory, keepAliveMs: () => number): void {
  http.on('GET', '/', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(STATUS_PAGE_HTML)
  })
  http.on('GET', '/status', (_req, res) => {
    const s = status()
    const now = Date.now()
    const verdict = healthVerdict(s, keepAliveMs())
    sendJson(res, 200, {
      version: buildInfo().version,
      now,
      status: verdict.status,
      reasons: verdict.reasons,
      nats: s.nats,
      mqtt: s.mqtt,
      queued: s.queued,
      last_error: s.configError ?? s.lastError ?? '',
      routes: s.routes.map((r) => ({
        id: r.id,
        configured: r.configured,
        received: r.stats.received,
        published: r.stats.published,
        invalid: r.stats.invalid,
        dropped: r.stats.droppedOverflow + r.stats.droppedMaxAge + r.stats.droppedDiskFull + r.stats.droppedDeadLetterFull,
        dead_lettered: r.stats.deadLetteredTopic + r.stats.deadLetteredTooLarge + r.stats.deadLetteredRepeatedDisconnect,
        queued: r.queued,
        queued_bytes: r.queuedBytes,
        oldest_age_s: r.oldestReceivedAt === undefined ? 0 : (now - r.oldestReceivedAt) / 1000,
        in_flight: r.inFlight,
      })),
      dead_letters: {
        total: s.deadLetters.total,
        last_hour: s.deadLetters.lastHour,
        recent: s.deadLetters.recent.map(deadLetterJson),
      },
      history: history.samples(),
    })
  })
}
