import type { IncomingMessage } from 'node:http'
import type { Config } from '../config/types.js'
import type { Outage } from '../link-history.js'
import { maskText } from '../secret-mask.js'
import { buildInfo } from '../version.js'
import { deadLetterJson } from './dead-letters.js'
import { healthVerdict } from './health.js'
import type { HealthInput } from './health.js'
import type { LatencySummary } from './latency-summary.js'
import { statusPageHtml } from './status-page-html.js'
import type { HttpServer } from './server.js'
import { sendJson } from './server.js'
import type { StatusHistory } from './status-history.js'
import type { StoreUsageReader } from './store-usage.js'

/** What the status page (and /status) reads besides the service's status. */
export interface StatusSources {
  status: () => HealthInput
  /** The configuration in force (a reload changes `[mqtt]`; `[store]` stays as started). */
  config: () => Config
  history: StatusHistory
  latency: LatencySummary
  storeUsage: StoreUsageReader
}

/** Outages shown per link: the page lists the last ones, newest first. */
const OUTAGES_SHOWN = 10

/** Rounds to 0.1: rates and ages need no more on a page. */
function tenth(n: number): number {
  return Math.round(n * 10) / 10
}

function outages(list: readonly Outage[], now: number): unknown[] {
  return list.slice(0, OUTAGES_SHOWN).map((o) => ({
    started_at: o.startedAt,
    ended_at: o.endedAt ?? null,
    duration_s: tenth(((o.endedAt ?? now) - o.startedAt) / 1000),
    cause: o.cause ?? null,
  }))
}

/** `?since=<Unix ms>`: only the chart points after it (the page asks for the whole history once). */
function sinceParam(req: IncomingMessage): number {
  const since = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('since') ?? '0')
  return Number.isFinite(since) && since > 0 ? since : 0
}

/** `GET /` (the status page for a person) and `GET /status` (the JSON it polls). */
export function registerStatusPage(http: HttpServer, sources: StatusSources, keepAliveMs: () => number): void {
  http.on('GET', '/', (_req, res) => {
    const html = statusPageHtml()
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(html) })
    res.end(html)
  })
  http.on('GET', '/status', async (req, res) => {
    const s = sources.status()
    const config = sources.config()
    const now = Date.now()
    const usage = await sources.storeUsage.read(now)
    const verdict = healthVerdict(s, keepAliveMs())
    const rates = sources.history.rates(s, now)
    const priorities = new Map(config.routes.map((r) => [r.natsTopic, r.priority]))
    const info = buildInfo()
    const w = s.window
    sendJson(res, 200, {
      version: info.version,
      commit: info.commit,
      now,
      started_at: s.startedAt,
      uptime_s: Math.round((now - s.startedAt) / 1000),
      status: verdict.status,
      reasons: verdict.reasons,
      nats: s.nats,
      mqtt: s.mqtt,
      queued: s.queued,
      last_error: s.configError ?? s.lastError ?? '',
      // A failed reload stays until a reload works; its time is not kept, the fault's is.
      last_error_at: s.configError === undefined ? (s.lastErrorAt ?? null) : null,
      rates: { in: tenth(rates.total.in), out: tenth(rates.total.out) },
      links: {
        nats: { state: s.nats, since: s.links.nats.since ?? null, reconnects: s.links.nats.reconnects, servers: config.exp.natsUrls.map(maskText), outages: outages(s.links.nats.outages, now) },
        mqtt: {
          state: s.mqtt,
          since: s.links.mqtt.since ?? null,
          reconnects: s.links.mqtt.reconnects,
          broker: maskText(config.mqtt.url),
          client_id: config.mqtt.clientId,
          qos: config.mqtt.qos,
          protocol: config.mqtt.protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1',
          keep_alive_s: config.mqtt.keepAliveMs / 1000,
          outages: outages(s.links.mqtt.outages, now),
        },
      },
      window: w === undefined ? null : { limit: w.limit, cap: w.cap, phase: w.phase, in_flight: w.inFlight, rtt_ms: w.rttMs === undefined ? null : tenth(w.rttMs), min_rtt_ms: w.minRttMs === undefined ? null : tenth(w.minRttMs) },
      store: {
        type: config.store.type,
        state: s.store,
        used_bytes: usage.usedBytes,
        max_bytes: usage.maxBytes,
        queued_bytes: s.routes.reduce((n, r) => n + r.queuedBytes, 0),
        disk_free_bytes: usage.diskFreeBytes ?? null,
        disk_total_bytes: usage.diskTotalBytes ?? null,
        overflow: config.store.overflow,
        max_age_s: config.store.maxAgeMs / 1000,
        error: usage.error ?? null,
      },
      routes: s.routes.map((r) => {
        const rate = rates.routes.get(r.id) ?? { in: 0, out: 0 }
        const latency = sources.latency.quantiles(r.id)
        return {
          id: r.id,
          configured: r.configured,
          priority: priorities.get(r.id) ?? null,
          in_rate: tenth(rate.in),
          out_rate: tenth(rate.out),
          received: r.stats.received,
          published: r.stats.published,
          invalid: r.stats.invalid,
          rejected: r.stats.rejected,
          dropped: r.stats.droppedOverflow + r.stats.droppedMaxAge + r.stats.droppedDiskFull + r.stats.droppedDeadLetterFull,
          dropped_by_reason: { overflow: r.stats.droppedOverflow, max_age: r.stats.droppedMaxAge, disk_full: r.stats.droppedDiskFull, dead_letter_full: r.stats.droppedDeadLetterFull },
          dead_lettered: r.stats.deadLetteredTopic + r.stats.deadLetteredTooLarge + r.stats.deadLetteredRepeatedDisconnect,
          queued: r.queued,
          queued_bytes: r.queuedBytes,
          oldest_age_s: r.oldestReceivedAt === undefined ? 0 : tenth((now - r.oldestReceivedAt) / 1000),
          in_flight: r.inFlight,
          latency: { count: latency.count, p50_s: latency.p50 ?? null, p99_s: latency.p99 ?? null },
        }
      }),
      dead_letters: {
        total: s.deadLetters.total,
        last_hour: s.deadLetters.lastHour,
        recent: s.deadLetters.recent.map(deadLetterJson),
      },
      history: sources.history.chart(sinceParam(req)),
    })
  })
}
