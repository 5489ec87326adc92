import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { ServiceStatus } from '../status/service-status.js'
import { buildInfo } from '../version.js'
import { LatencyHistogram } from './latency-histogram.js'
import type { HttpServer } from './server.js'
import type { StoreUsageReader } from './store-usage.js'

/** Buckets of the publish latency (received from NATS → acknowledged by the broker), in seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600]

/**
 * Prometheus metrics (docs/operations.md, section 3). Counters live as plain numbers in the service's RouteStats (the hot
 * path never touches prom-client); they are copied into the registry at scrape time. Only the
 * latency histogram is observed per message, in our own counts (src/http/latency-histogram.ts).
 */
export class Metrics {
  readonly registry = new Registry()
  readonly #latency: LatencyHistogram

  /** `storeUsage` gives the store's room (`export_store_*_bytes`); without it those are left out. */
  constructor(status: () => ServiceStatus, storeUsage?: StoreUsageReader) {
    const registry = this.registry
    collectDefaultMetrics({ register: registry })
    this.#latency = new LatencyHistogram('export_publish_latency_seconds', 'Time from receipt on NATS to acknowledgement by the MQTT broker', LATENCY_BUCKETS)
    registry.registerMetric(this.#latency.asMetric())

    // One snapshot of the status per scrape, shared by every collector below.
    let snapshot: ServiceStatus | undefined
    const current = (): ServiceStatus => (snapshot ??= status())
    const routeCounter = (name: string, help: string, value: (r: ServiceStatus['routes'][number]) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['route'],
        registers: [registry],
        collect() {
          this.reset()
          for (const r of current().routes) this.inc({ route: r.id }, value(r))
        },
      })
    }
    new Gauge({
      name: 'export_up',
      help: 'Always 1 while the service runs (also refreshes the status snapshot of this scrape)',
      registers: [registry],
      collect() {
        snapshot = status()
        this.set(1)
      },
    })
    routeCounter('export_messages_received_total', 'Messages taken off NATS', (r) => r.stats.received)
    routeCounter('export_messages_published_total', 'Messages acknowledged by the MQTT broker', (r) => r.stats.published)
    const reasonCounter = (name: string, help: string, values: (r: ServiceStatus['routes'][number]) => Record<string, number>): void => {
      new Counter({
        name,
        help,
        labelNames: ['route', 'reason'],
        registers: [registry],
        collect() {
          this.reset()
          for (const r of current().routes) for (const [reason, value] of Object.entries(values(r))) this.inc({ route: r.id, reason }, value)
        },
      })
    }
    reasonCounter(
      'export_messages_invalid_total',
      'Messages refused before they were queued: transform failed (e.g. not a Mainflux message), subject makes an invalid MQTT topic, or bigger than the broker takes',
      (r) => ({ transform: r.stats.invalidTransform, topic: r.stats.invalidTopic, too_large: r.stats.invalidTooLarge }),
    )
    reasonCounter(
      'export_dead_lettered_total',
      'Messages taken out of the queue into the dead-letter table because they would block it: queued under an invalid topic, too large for the broker, or the broker drops the connection for them',
      (r) => ({ topic: r.stats.deadLetteredTopic, too_large: r.stats.deadLetteredTooLarge, repeated_disconnect: r.stats.deadLetteredRepeatedDisconnect }),
    )
    routeCounter('export_messages_rejected_total', 'Messages refused by the MQTT broker (MQTT 5 reason code)', (r) => r.stats.rejected)
    routeCounter('export_messages_redelivered_total', 'JetStream messages delivered more than once', (r) => r.stats.redelivered)
    reasonCounter(
      'export_messages_dropped_total',
      'Messages dropped by the store: overflow policy, max_age, refused while the disk is full, or the oldest dead letters discarded when the dead-letter table is full',
      (r) => ({ overflow: r.stats.droppedOverflow, max_age: r.stats.droppedMaxAge, disk_full: r.stats.droppedDiskFull, dead_letter_full: r.stats.droppedDeadLetterFull }),
    )
    const routeGauge = (name: string, help: string, value: (r: ServiceStatus['routes'][number], now: number) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['route'],
        registers: [registry],
        collect() {
          this.reset()
          const now = Date.now()
          for (const r of current().routes) this.set({ route: r.id }, value(r, now))
        },
      })
    }
    routeGauge('export_queue_messages', 'Messages waiting in the store (including in flight)', (r) => r.queued)
    routeGauge('export_queue_bytes', 'Bytes waiting in the store', (r) => r.queuedBytes)
    routeGauge('export_queue_oldest_age_seconds', 'Age of the oldest waiting message; 0 when the queue is empty', (r, now) => (r.oldestReceivedAt === undefined ? 0 : (now - r.oldestReceivedAt) / 1000))
    routeGauge('export_messages_in_flight', 'Messages sent to the broker and not yet acknowledged', (r) => r.inFlight)
    const linkGauge = (name: string, help: string, connected: (s: ServiceStatus) => boolean): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(connected(current()) ? 1 : 0)
        },
      })
    }
    new Gauge({
      name: 'export_dead_letters',
      help: 'Messages in the dead-letter table, waiting for an operator (mainflux-export dead-letters list|replay|purge)',
      registers: [registry],
      collect() {
        this.set(current().deadLetters.total)
      },
    })
    linkGauge('export_mqtt_connected', '1 when connected to the MQTT broker', (s) => s.mqtt === 'connected')
    const windowGauge = (name: string, help: string, value: (w: NonNullable<ServiceStatus['window']>) => number | undefined): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const w = current().window
          const v = w === undefined ? undefined : value(w)
          if (v === undefined) this.reset()
          else this.set(v)
        },
      })
    }
    windowGauge('export_mqtt_inflight_window', 'Unacknowledged publishes the MQTT connection takes now, all routes together ([mqtt] max_inflight; auto: learned from the link)', (w) => w.limit)
    windowGauge('export_mqtt_inflight_window_max', 'Most unacknowledged publishes allowed on this connection: max_inflight, the broker\'s Receive Maximum, packet ids', (w) => w.cap)
    windowGauge('export_mqtt_round_trip_seconds', 'Smoothed time from publish to the broker\'s acknowledgement on this connection', (w) => (w.rttMs === undefined ? undefined : w.rttMs / 1000))
    linkGauge('export_nats_connected', '1 when connected to NATS', (s) => s.nats === 'connected')
    const reconnects = (name: string, help: string, link: keyof ServiceStatus['links']): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset()
          this.inc(current().links[link].reconnects)
        },
      })
    }
    reconnects('export_mqtt_reconnects_total', 'Connections to the MQTT broker made again after one was lost (a reload that changes [mqtt] counts one)', 'mqtt')
    reconnects('export_nats_reconnects_total', 'Connections to NATS made again after one was lost', 'nats')
    const info = buildInfo()
    new Gauge({
      name: 'export_build_info',
      help: 'Always 1; the labels say which build runs',
      labelNames: ['version', 'commit'],
      registers: [registry],
    }).set({ version: info.version, commit: info.commit }, 1)
    if (storeUsage !== undefined) {
      const storeGauge = (name: string, help: string, value: (u: Awaited<ReturnType<StoreUsageReader['read']>>) => number | undefined): void => {
        new Gauge({
          name,
          help,
          registers: [registry],
          async collect() {
            // NaN, not 0, when the file system cannot be read: 0 free bytes would be a false alarm.
            this.set(value(await storeUsage.read()) ?? NaN)
          },
        })
      }
      storeGauge('export_store_capacity_bytes', 'The store\'s bound, [store] max_bytes', (u) => u.maxBytes)
      storeGauge('export_store_size_bytes', 'Bytes the store takes: its database and WAL on disk (file store), the queued bytes (memory store)', (u) => u.usedBytes)
      if (storeUsage.kind === 'file') storeGauge('export_store_disk_free_bytes', 'Free bytes of the file system under the file store, for the service\'s user', (u) => u.diskFreeBytes)
    }
  }

  /** For the service's latency observer. */
  observeLatency(routeId: string, seconds: number): void {
    this.#latency.observe(routeId, seconds)
  }

  register(http: HttpServer): void {
    http.on('GET', '/metrics', async (_req, res) => {
      const text = await this.registry.metrics()
      res.writeHead(200, { 'content-type': this.registry.contentType })
      res.end(text)
    })
  }
}
