import { isDeepStrictEqual } from 'node:util'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Config, RouteConfig } from './config/types.js'
import { describeError } from './errors.js'
import type { DeadLetterError } from './errors.js'
import { Heartbeat } from './agent/heartbeat.js'
import { LinkHistory } from './link-history.js'
import type { LinkReport } from './link-history.js'
import type { Logger } from './logger.js'
import { PublishLimits } from './mqtt-limits.js'
import { RateLimitedLog } from './rate-limited-log.js'
import { Route } from './route/route.js'
import { RouteStats } from './route/route-stats.js'
import { Dispatcher } from './sink/dispatcher.js'
import type { WindowState } from './sink/inflight-window.js'
import { checkMqttConfig } from './sink/client-options.js'
import { MqttSink } from './sink/mqtt-sink.js'
import { SendCheck } from './sink/send-check.js'
import { CoreSubscription } from './source/core-subscription.js'
import { NatsLink } from './source/nats-connection.js'
import { JetStreamSubscription } from './source/jetstream-subscription.js'
import type { MessageHandler, RouteSource } from './source/source.js'
import { createStore } from './store/create-store.js'
import type { DeadLetter, DeadLetterSelection, DeadLetterSummary } from './store/dead-letters.js'
import type { StoredMessage } from './store/message.js'
import type { DropReason, MessageStore } from './store/store.js'

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
  /** Unix ms since when `lastError` has said what it says now (to within a second: see status()). */
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

export interface ServiceOptions {
  /** Told the time from NATS receipt to broker acknowledgement of each delivered message. */
  observeLatency?: (routeId: string, seconds: number) => void
}

interface ActiveRoute {
  route: Route
  source: RouteSource | undefined
}

/**
 * Wires the parts: NATS source → route (map, transform) → store → dispatcher → MQTT sink, plus
 * the heartbeat. HTTP and the CLI read state through `status()`.
 */
export class Service {
  #config: Config
  readonly #log: Logger
  readonly #store: MessageStore
  readonly #dispatcher: Dispatcher
  readonly #nats: NatsLink
  readonly #stats = new Map<string, RouteStats>()
  readonly #routes = new Map<string, ActiveRoute>()
  readonly #dropLog: RateLimitedLog
  readonly #rejectLog: RateLimitedLog
  readonly #deadLetterLog: RateLimitedLog
  /** The broker's size limit as far as it is known: routes refuse bigger messages before queueing them. */
  readonly #limits: PublishLimits
  #sink: MqttSink | undefined
  #heartbeat: Heartbeat | undefined
  #stopping = false
  /** Routes that could not subscribe, by route id; cleared when they do, or are removed. */
  readonly #routeFaults = new Map<string, string>()
  /** The broker's last refusal of a message; cleared by the next delivery on that route. */
  #refusal: { routeId: string; text: string } | undefined
  #storeWarnedFor: Config['store'] | undefined
  readonly #startedAt = Date.now()
  readonly #natsHistory = new LinkHistory()
  readonly #mqttHistory = new LinkHistory()
  /** The error text status() last saw, and since when: the status page shows when a fault began. */
  #errorSeen: { text: string; at: number } | undefined

  constructor(config: Config, log: Logger, options: ServiceOptions = {}) {
    this.#config = config
    this.#log = log
    this.#store = createStore(config.store, log.child({ component: 'store' }))
    this.#limits = new PublishLimits(config.mqtt)
    const observeLatency = options.observeLatency
    const store = this.#store
    const check = new SendCheck(this.#limits, () => store.recoveredSeq)
    this.#dispatcher = new Dispatcher(this.#store, {
      delivered: (routeId, message, now) => {
        this.#statsFor(routeId).published++
        if (this.#refusal?.routeId === routeId) this.#refusal = undefined
        observeLatency?.(routeId, (now - message.receivedAt) / 1000)
      },
      rejected: (routeId, message, err) => this.#onRejected(routeId, message, err),
      deadLettered: (routeId, message, err) => this.#onDeadLettered(routeId, message, err),
    }, check)
    this.#nats = new NatsLink(config.exp.natsUrls, log.child({ component: 'nats' }))
    this.#nats.on('connected', () => this.#natsHistory.up())
    this.#nats.on('disconnected', () => this.#natsHistory.down(this.#nats.lastError))
    this.#dropLog = new RateLimitedLog(log.child({ component: 'store' }), 10_000)
    this.#rejectLog = new RateLimitedLog(log.child({ component: 'mqtt' }), 10_000)
    this.#deadLetterLog = new RateLimitedLog(log.child({ component: 'dead-letters' }), 10_000)
  }

  get config(): Config {
    return this.#config
  }

  /** The NATS connection, once established (it is retried forever). */
  natsConnection(): Promise<NatsConnection> {
    return this.#nats.start()
  }

  /**
   * Opens the store and starts connecting to both brokers. Resolves without waiting for either:
   * the service takes messages while the cloud is unreachable, and waits for NATS in the background.
   */
  async start(): Promise<void> {
    await this.#store.open({
      available: (routeId) => this.#dispatcher.notify(routeId),
      dropped: (routeId, count, reason) => this.#onDropped(routeId, count, reason),
    })
    for (const rc of this.#config.routes) this.#addRoute(rc)
    this.#dispatcher.setRoutes(this.#config.routes.map(dispatchRoute))
    this.#startSink()
    void this.#nats
      .start()
      .then(() => this.#onNatsReady())
      .catch((err: unknown) => {
        if (!this.#stopping) this.#log.error({ err: describeError(err) }, 'NATS connection gave up')
      }) // connects in the background, retrying forever; errors are logged here
  }

  #startSink(): void {
    const sink = new MqttSink(this.#config.mqtt, this.#log.child({ component: 'mqtt' }))
    sink.on('connected', () => {
      this.#limits.setBrokerMax(sink.maxPacketBytes)
      this.#dispatcher.schedule()
    })
    sink.on('room', () => process.nextTick(() => this.#dispatcher.pump()))
    // Only the sink in use speaks for the link: the one a reload replaced closes after this one starts.
    sink.on('connected', () => {
      if (this.#sink === sink) this.#mqttHistory.up()
    })
    sink.on('disconnected', () => {
      if (this.#sink === sink) this.#mqttHistory.down(sink.lastError)
    })
    if (this.#sink !== undefined) this.#mqttHistory.down('reconnecting: [mqtt] changed by a reload')
    sink.start()
    this.#sink = sink
    this.#dispatcher.setPublisher(sink)
  }

  async #onNatsReady(): Promise<void> {
    if (this.#stopping) return
    const nc = this.#nats.connection!
    for (const active of this.#routes.values()) await this.#subscribe(active)
    this.#heartbeat = new Heartbeat(nc, this.#config.exp.heartbeatIntervalMs, () => this.#heartbeatStatus(), this.#log.child({ component: 'heartbeat' }))
    this.#heartbeat.start()
  }

  async #subscribe(active: ActiveRoute): Promise<void> {
    const nc = this.#nats.connection
    // A route replaced or removed by a reload meanwhile is not subscribed again.
    if (!nc || active.source || this.#stopping || this.#routes.get(active.route.id) !== active) return
    const { route } = active
    const handler: MessageHandler = (subject, data, onDelivered) => route.handle(subject, data, onDelivered)
    const source: RouteSource =
      route.config.source === 'jetstream'
        ? new JetStreamSubscription(
            nc,
            {
              stream: route.config.stream,
              durable: route.config.durable,
              subject: route.subject,
              durableStore: this.#store.kind === 'file',
              flush: () => this.#store.flush(),
              onRedelivered: () => route.stats.redelivered++,
            },
            handler,
            this.#log.child({ component: 'jetstream', route: route.id }),
          )
        : new CoreSubscription(nc, route.subject, handler)
    active.source = source
    try {
      await source.start()
    } catch (err: unknown) {
      active.source = undefined
      this.#routeFaults.set(route.id, `route ${route.id}: ${describeError(err)}`)
      this.#log.error({ route: route.id, err: describeError(err) }, 'route could not subscribe; retrying in 5 s')
      setTimeout(() => void this.#subscribe(active), 5000).unref() // retried until it works or the route goes
      return
    }
    this.#routeFaults.delete(route.id)
    this.#log.info({ route: route.id, subject: route.subject, source: route.config.source }, 'route subscribed')
  }

  #addRoute(rc: RouteConfig): ActiveRoute {
    const stats = this.#statsFor(rc.natsTopic)
    const active: ActiveRoute = { route: new Route(rc, this.#store, this.#log, stats, this.#limits), source: undefined }
    this.#routes.set(rc.natsTopic, active)
    return active
  }

  #statsFor(routeId: string): RouteStats {
    let stats = this.#stats.get(routeId)
    if (!stats) {
      stats = new RouteStats()
      this.#stats.set(routeId, stats)
    }
    return stats
  }

  #onDropped(routeId: string, count: number, reason: DropReason): void {
    const stats = this.#statsFor(routeId)
    if (reason === 'overflow') stats.droppedOverflow += count
    else if (reason === 'max_age') stats.droppedMaxAge += count
    else if (reason === 'dead_letter_full') stats.droppedDeadLetterFull += count
    else stats.droppedDiskFull += count
    this.#dropLog.warn({ route: routeId, count, reason, maxBytes: this.#config.store.maxBytes }, 'messages dropped from the store')
  }

  #onRejected(routeId: string, message: StoredMessage, err: Error): void {
    this.#statsFor(routeId).rejected++
    this.#refusal = { routeId, text: `MQTT broker refused a message on ${message.topic}: ${describeError(err)}` }
    this.#rejectLog.warn({ route: routeId, topic: message.topic, err: describeError(err) }, 'broker refused message')
  }

  #onDeadLettered(routeId: string, message: StoredMessage, err: DeadLetterError): void {
    const stats = this.#statsFor(routeId)
    if (err.reason === 'topic') stats.deadLetteredTopic++
    else if (err.reason === 'too_large') stats.deadLetteredTooLarge++
    else stats.deadLetteredRepeatedDisconnect++
    this.#deadLetterLog.warn(
      { route: routeId, seq: message.seq, topic: message.topic, bytes: message.payload.length, reason: err.reason, detail: err.detail, code: err.code },
      'message dead-lettered: it would block the queue; see mainflux-export dead-letters',
    )
  }

  /** The dead-letter table, for GET /dead-letters. */
  deadLetters(): readonly DeadLetter[] {
    return this.#store.deadLetters()
  }

  /** Sends dead letters again, from their original place in their route's queue (POST /dead-letters/replay). */
  replayDeadLetters(selection: DeadLetterSelection): DeadLetter[] {
    const replayed = this.#store.replayDeadLetters(selection)
    if (replayed.length > 0) this.#log.info({ count: replayed.length, seqs: replayed.map((d) => d.seq) }, 'dead letters queued again')
    return replayed
  }

  /** Deletes dead letters for good (POST /dead-letters/purge). */
  purgeDeadLetters(selection: DeadLetterSelection): DeadLetter[] {
    const purged = this.#store.purgeDeadLetters(selection)
    if (purged.length > 0) this.#log.info({ count: purged.length, seqs: purged.map((d) => d.seq) }, 'dead letters purged')
    return purged
  }

  #heartbeatStatus(): { status: 'online'; mqtt: 'connected' | 'disconnected'; queued: number } {
    return { status: 'online', mqtt: this.#sink?.state ?? 'disconnected', queued: this.#queuedTotal() }
  }

  #queuedTotal(): number {
    let n = 0
    for (const id of this.#store.routeIds()) n += this.#store.stats(id).messages
    return n
  }

  status(): ServiceStatus {
    const ids = new Set([...this.#routes.keys(), ...this.#store.routeIds()])
    const deadLetters = this.#store.deadLetterSummary(Date.now())
    const routes: RouteStatus[] = []
    let queued = 0
    for (const id of ids) {
      const q = this.#store.stats(id)
      queued += q.messages
      routes.push({
        id,
        configured: this.#routes.has(id),
        stats: this.#statsFor(id),
        queued: q.messages,
        queuedBytes: q.bytes,
        oldestReceivedAt: q.oldestReceivedAt,
        inFlight: this.#dispatcher.inFlight(id),
      })
    }
    const lastError = this.#store.lastError ?? this.#routeFaults.values().next().value ?? this.#sink?.lastError ?? this.#nats.lastError ?? this.#refusal?.text
    // The first status() that sees a new text dates it; the status page's history asks every second.
    if (lastError === undefined) this.#errorSeen = undefined
    else if (this.#errorSeen?.text !== lastError) this.#errorSeen = { text: lastError, at: Date.now() }
    this.#natsHistory.noteCause(this.#nats.lastError)
    this.#mqttHistory.noteCause(this.#sink?.lastError)
    return {
      nats: this.#nats.state,
      mqtt: this.#sink?.state ?? 'disconnected',
      store: this.#store.diskFull === true ? 'disk_full' : 'ok',
      queued,
      lastError,
      lastErrorAt: this.#errorSeen?.at,
      startedAt: this.#startedAt,
      links: { nats: this.#natsHistory.report(), mqtt: this.#mqttHistory.report() },
      ackWaitMs: this.#dispatcher.ackWaitMs(),
      deadLetteredLastHour: deadLetters.lastHour,
      deadLetters,
      routes,
      window: this.#sink?.window(),
    }
  }

  /**
   * Applies a new configuration without a restart and without losing a message (SPEC §7):
   * changed routes are subscribed anew before the old subscription is drained (no gap), removed
   * routes drain what they queued, changed `[mqtt]` settings reconnect. The store stays.
   * Returns what changed, for the log.
   */
  async applyConfig(next: Config): Promise<string[]> {
    if (this.#stopping) return []
    const prev = this.#config
    // Everything that can fail is checked first: an invalid reload changes nothing.
    if (!isDeepStrictEqual(prev.mqtt, next.mqtt)) checkMqttConfig(next.mqtt)
    const changes: string[] = []
    const warnings: string[] = []
    // Said once per new value: after each Agent rewrite the file's [store] is back to defaults.
    if (!isDeepStrictEqual(prev.store, next.store) && !isDeepStrictEqual(this.#storeWarnedFor, next.store)) {
      this.#storeWarnedFor = next.store
      warnings.push('[store] in the file differs from the running store; it takes effect at the next restart (if the Agent rewrote the file, set MF_EXPORT_STORE_* instead)')
    }
    if (!isDeepStrictEqual(prev.exp.natsUrls, next.exp.natsUrls)) warnings.push('[exp] nats changes take effect at the next restart')
    if (prev.exp.port !== next.exp.port) warnings.push('[exp] port changes take effect at the next restart')
    if (prev.exp.httpHost !== next.exp.httpHost) warnings.push('[exp] http_host changes take effect at the next restart')
    for (const w of warnings) this.#log.warn({}, w)
    // Keep what cannot change now, so /health and a later reload compare against what is running.
    this.#config = { ...next, store: prev.store, exp: { ...next.exp, natsUrls: prev.exp.natsUrls, port: prev.exp.port, httpHost: prev.exp.httpHost } }
    // The HTTP server reads the token at each request: the new one is in force from here on.
    if (prev.exp.httpToken !== next.exp.httpToken) changes.push('http_token')

    if (prev.exp.logLevel !== next.exp.logLevel) {
      this.#log.level = next.exp.logLevel
      changes.push(`log_level ${next.exp.logLevel}`)
    }
    if (prev.exp.heartbeatIntervalMs !== next.exp.heartbeatIntervalMs && this.#heartbeat) {
      this.#heartbeat.stop()
      this.#heartbeat = new Heartbeat(this.#nats.connection!, next.exp.heartbeatIntervalMs, () => this.#heartbeatStatus(), this.#log.child({ component: 'heartbeat' }))
      this.#heartbeat.start()
      changes.push('heartbeat_interval')
    }

    const wanted = new Map(next.routes.map((rc) => [rc.natsTopic, rc]))
    const retired: ActiveRoute[] = []
    for (const [id, active] of this.#routes) {
      const rc = wanted.get(id)
      if (rc && isDeepStrictEqual(rc, active.route.config)) continue
      this.#routes.delete(id)
      this.#routeFaults.delete(id)
      retired.push(active)
      changes.push(rc ? `route ${id} changed` : `route ${id} removed`)
    }
    const added: ActiveRoute[] = []
    for (const rc of next.routes) {
      if (this.#routes.has(rc.natsTopic)) continue
      added.push(this.#addRoute(rc))
      if (!prev.routes.some((p) => p.natsTopic === rc.natsTopic)) changes.push(`route ${rc.natsTopic} added`)
    }
    this.#dispatcher.setRoutes(next.routes.map(dispatchRoute))
    // New subscriptions first, then drain the old ones: a changed route never misses a message.
    for (const active of added) await this.#subscribe(active)
    for (const active of retired) await this.#unsubscribe(active)

    if (!isDeepStrictEqual(prev.mqtt, next.mqtt)) {
      changes.push('[mqtt] reconnect')
      await this.#dispatcher.pause(3000)
      this.#limits.setConfig(next.mqtt)
      const old = this.#sink
      try {
        this.#startSink()
      } finally {
        this.#dispatcher.resume()
      }
      await old?.close()
    }
    return changes
  }

  async #unsubscribe(active: ActiveRoute): Promise<void> {
    const source = active.source
    active.source = undefined
    try {
      await source?.stop()
    } catch (err: unknown) {
      this.#log.warn({ route: active.route.id, err: describeError(err) }, 'unsubscribe failed')
    }
  }

  /**
   * Graceful stop (SPEC §1): no new messages, in-flight ones get up to `deadlineMs` to be
   * acknowledged, the rest stays in the store. Stops in reverse start order.
   */
  async stop(deadlineMs = 5000): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    this.#heartbeat?.stop()
    await Promise.all([...this.#routes.values()].map((a) => this.#unsubscribe(a)))
    await this.#nats.drain()
    // A memory store loses what it holds at exit, so it keeps sending until the deadline.
    await this.#dispatcher.stop(deadlineMs, this.#store.kind === 'memory')
    await this.#sink?.close()
    await this.#store.close()
    const left = this.#queuedTotal()
    this.#log.info({ queued: left, store: this.#store.kind }, 'stopped')
  }
}

function dispatchRoute(rc: RouteConfig): { id: string; priority: number } {
  return { id: rc.natsTopic, priority: rc.priority }
}
