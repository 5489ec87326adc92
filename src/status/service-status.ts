import type { Clock } from '../clock.js'
import type { Config } from '../config/types.js'
import { describeError } from '../errors.js'
import type { DeadLetterError } from '../errors.js'
import type { DeliveryObserver } from '../delivery/ack-path.js'
import type { Dispatcher } from '../delivery/dispatcher.js'
import type { Logger } from '../logger.js'
import { RateLimitedLog } from '../rate-limited-log.js'
import type { RoutePipeline } from '../route/route-pipeline.js'
import { RouteStats } from '../route/route-stats.js'
import type { WindowState } from '../sink/inflight-window.js'
import type { MqttSink } from '../sink/mqtt-sink.js'
import type { NatsLink } from '../source/nats-link.js'
import type { DeadLetterSummary } from '../store/dead-letters.js'
import type { StoredMessage } from '../store/message.js'
import type { DropReason, MessageStore } from '../store/store.js'
import { LinkHistory } from './link-history.js'
import type { LinkReport } from './link-history.js'

/** What /health, the heartbeat and the status page show. */
export interface ServiceStatus {
  nats: 'connected' | 'disconnected'
  mqtt: 'connected' | 'disconnected'
  /** `disk_full` while the file store refuses new messages. */
  store: 'ok' | 'disk_full'
  queued: number
  /**
   * The fault in force, cleared once it is over (NATS or MQTT back, disk writable, route
   * subscribed, a message of the route delivered after a refusal).
   */
  lastError: string | undefined
  /** Unix ms since when `lastError` has said what it says now (to within a second: see snapshot()). */
  lastErrorAt: number | undefined
  /** Unix ms the service started. */
  startedAt: number
  /** Reconnects and the last outages of each link. */
  links: { nats: LinkReport; mqtt: LinkReport }
  /** How long messages have been in flight with no ack from the broker (0 when none is). */
  ackWaitMs: number
  /** Messages moved to the dead-letter table in the last hour (and still there); /health warns while it is not 0. */
  deadLetteredLastHour: number
  /** The dead-letter table: how many, and the newest few. */
  deadLetters: DeadLetterSummary
  routes: RouteStatus[]
  /** The MQTT connection's window of unacknowledged publishes (all routes). */
  window: WindowState | undefined
}

export interface RouteStatus {
  id: string
  configured: boolean
  stats: RouteStats
  queued: number
  queuedBytes: number
  oldestReceivedAt: number | undefined
  inFlight: number
}

/** Told the time from NATS receipt to broker acknowledgement of each delivered message (metrics, status page). */
export interface LatencyObserver {
  observeLatency(routeId: string, seconds: number): void
}

/** The running parts a status is read from. */
export interface StatusParts {
  nats: NatsLink
  store: MessageStore
  dispatcher: Dispatcher
  sink: MqttSink | undefined
  pipelines: ReadonlyMap<string, RoutePipeline>
}

/**
 * The service's counters and the status built from them: each route's {@link RouteStats}, each
 * link's history, the last fault and since when. It hears the end of every message: delivered,
 * refused by the broker, dead-lettered (the ack path, src/delivery/ack-path.ts) or dropped by the
 * store; it counts them, logs them (rate-limited), and passes latencies on.
 */
export class StatusBoard implements DeliveryObserver {
  /** Counters live as long as the process: a reload keeps a route's counters when its nats_topic stays. */
  readonly #stats = new Map<string, RouteStats>()
  readonly natsHistory: LinkHistory
  readonly mqttHistory: LinkHistory
  readonly #latency: LatencyObserver[] = []
  readonly #clock: Clock
  readonly #startedAt: number
  readonly #dropLog: RateLimitedLog
  readonly #rejectLog: RateLimitedLog
  readonly #deadLetterLog: RateLimitedLog
  /** For the drop log's `maxBytes`. */
  readonly #maxBytes: number
  /** The broker's last refusal of a message; cleared by the next delivery on that route. */
  #refusal: { routeId: string; text: string } | undefined
  /** The error text snapshot() last saw, and since when: the status page shows when a fault began. */
  #errorSeen: { text: string; at: number } | undefined

  constructor(store: Config['store'], log: Logger, clock: Clock) {
    this.#clock = clock
    this.#startedAt = clock.now()
    this.#maxBytes = store.maxBytes
    this.natsHistory = new LinkHistory(() => clock.now())
    this.mqttHistory = new LinkHistory(() => clock.now())
    this.#dropLog = new RateLimitedLog(log.child({ component: 'store' }), 10_000, clock)
    this.#rejectLog = new RateLimitedLog(log.child({ component: 'mqtt' }), 10_000, clock)
    this.#deadLetterLog = new RateLimitedLog(log.child({ component: 'dead-letters' }), 10_000, clock)
  }

  /** Adds an observer of delivery latencies (the metrics, the status page's quantiles). */
  addLatencyObserver(observer: LatencyObserver): void {
    this.#latency.push(observer)
  }

  statsFor(routeId: string): RouteStats {
    let stats = this.#stats.get(routeId)
    if (!stats) {
      stats = new RouteStats()
      this.#stats.set(routeId, stats)
    }
    return stats
  }

  delivered(routeId: string, message: StoredMessage, now: number): void {
    this.statsFor(routeId).published++
    if (this.#refusal?.routeId === routeId) this.#refusal = undefined
    const seconds = (now - message.receivedAt) / 1000
    for (const observer of this.#latency) observer.observeLatency(routeId, seconds)
  }

  rejected(routeId: string, message: StoredMessage, err: Error): void {
    this.statsFor(routeId).rejected++
    this.#refusal = { routeId, text: `MQTT broker refused a message on ${message.topic}: ${describeError(err)}` }
    this.#rejectLog.warn({ route: routeId, topic: message.topic, err: describeError(err) }, 'broker refused message')
  }

  deadLettered(routeId: string, message: StoredMessage, err: DeadLetterError): void {
    const stats = this.statsFor(routeId)
    if (err.reason === 'topic') stats.deadLetteredTopic++
    else if (err.reason === 'too_large') stats.deadLetteredTooLarge++
    else stats.deadLetteredRepeatedDisconnect++
    this.#deadLetterLog.warn(
      { route: routeId, seq: message.seq, topic: message.topic, bytes: message.payload.length, reason: err.reason, detail: err.detail, code: err.code },
      'message dead-lettered: it would block the queue; see mainflux-export dead-letters',
    )
  }

  /** The store dropped messages (overflow policy, `max_age`, full disk, full dead-letter table). */
  dropped(routeId: string, count: number, reason: DropReason): void {
    const stats = this.statsFor(routeId)
    if (reason === 'overflow') stats.droppedOverflow += count
    else if (reason === 'max_age') stats.droppedMaxAge += count
    else if (reason === 'dead_letter_full') stats.droppedDeadLetterFull += count
    else stats.droppedDiskFull += count
    this.#dropLog.warn({ route: routeId, count, reason, maxBytes: this.#maxBytes }, 'messages dropped from the store')
  }

  snapshot(parts: StatusParts): ServiceStatus {
    const { nats, store, dispatcher, sink, pipelines } = parts
    const now = this.#clock.now()
    const ids = new Set([...pipelines.keys(), ...store.routeIds()])
    const deadLetters = store.deadLetterSummary(now)
    const routes: RouteStatus[] = []
    let queued = 0
    for (const id of ids) {
      const q = store.stats(id)
      queued += q.messages
      routes.push({
        id,
        configured: pipelines.has(id),
        stats: this.statsFor(id),
        queued: q.messages,
        queuedBytes: q.bytes,
        oldestReceivedAt: q.oldestReceivedAt,
        inFlight: dispatcher.inFlight(id),
      })
    }
    const lastError = store.lastError ?? firstFault(pipelines) ?? sink?.lastError ?? nats.lastError ?? this.#refusal?.text
    // The first snapshot that sees a new text dates it; the status page's history asks every second.
    if (lastError === undefined) this.#errorSeen = undefined
    else if (this.#errorSeen?.text !== lastError) this.#errorSeen = { text: lastError, at: now }
    this.natsHistory.noteCause(nats.lastError)
    this.mqttHistory.noteCause(sink?.lastError)
    return {
      nats: nats.state,
      mqtt: sink?.state ?? 'disconnected',
      store: store.diskFull === true ? 'disk_full' : 'ok',
      queued,
      lastError,
      lastErrorAt: this.#errorSeen?.at,
      startedAt: this.#startedAt,
      links: { nats: this.natsHistory.report(), mqtt: this.mqttHistory.report() },
      ackWaitMs: dispatcher.ackWaitMs(),
      deadLetteredLastHour: deadLetters.lastHour,
      deadLetters,
      routes,
      window: sink?.window(),
    }
  }
}

function firstFault(pipelines: ReadonlyMap<string, RoutePipeline>): string | undefined {
  for (const pipeline of pipelines.values()) if (pipeline.fault !== undefined) return pipeline.fault
  return undefined
}
