import type { NatsConnection } from '@nats-io/transport-node'
import { systemClock } from './clock.js'
import type { Clock } from './clock.js'
import type { Config, LogLevel, MqttConfig, RouteConfig } from './config/types.js'
import { Delivery } from './delivery/delivery.js'
import { describeError } from './errors.js'
import { Heartbeat } from './agent/heartbeat.js'
import type { HeartbeatStatus } from './agent/heartbeat.js'
import type { Lifecycle } from './lifecycle.js'
import type { Logger } from './logger.js'
import { PublishLimits } from './mqtt-limits.js'
import { ReloadApplier } from './reload/apply-reload.js'
import type { ReloadTarget } from './reload/apply-reload.js'
import { RoutePipeline } from './route/route-pipeline.js'
import type { PipelineParts } from './route/route-pipeline.js'
import { NatsLink } from './source/nats-link.js'
import { StatusBoard } from './status/service-status.js'
import type { LatencyObserver, ServiceStatus } from './status/service-status.js'
import { createStore } from './store/create-store.js'
import type { DeadLetter, DeadLetterSelection } from './store/dead-letters.js'
import type { MessageStore } from './store/store.js'

export type { LatencyObserver, RouteStatus, ServiceStatus } from './status/service-status.js'

export interface ServiceOptions {
  clock?: Clock
}

/**
 * The composition root: builds the parts and starts and stops them in order. A message goes
 * source → route → store (src/route/route-pipeline.ts, one per route), then store → dispatcher →
 * MQTT sink and back along the ack path (src/delivery/); the counters and the status are
 * src/status/service-status.ts, reloads src/reload/. HTTP and the CLI read state through status().
 *
 * Start order: store, delivery (dispatcher and MQTT), NATS; once NATS is connected, the
 * pipelines and the heartbeat. Stop order is the reverse (docs/architecture.md, "Lifecycle").
 */
export class Service implements Lifecycle, ReloadTarget {
  #config: Config
  readonly #log: Logger
  readonly #clock: Clock
  readonly #store: MessageStore
  readonly #board: StatusBoard
  readonly #delivery: Delivery
  readonly #nats: NatsLink
  readonly #pipelineParts: PipelineParts
  readonly #pipelines = new Map<string, RoutePipeline>()
  readonly #reloads: ReloadApplier
  #heartbeat: Heartbeat | undefined
  #stopping = false

  constructor(config: Config, log: Logger, options: ServiceOptions = {}) {
    this.#config = config
    this.#log = log
    this.#clock = options.clock ?? systemClock
    this.#store = createStore(config.store, log.child({ component: 'store' }))
    this.#board = new StatusBoard(config.store, log, this.#clock)
    // The broker's size limit as far as it is known: shared by the routes (refuse at intake) and the sink (learns it).
    const limits = new PublishLimits(config.mqtt)
    this.#delivery = new Delivery(config.mqtt, {
      store: this.#store,
      limits,
      counters: this.#board,
      mqttHistory: this.#board.mqttHistory,
      log,
      clock: this.#clock,
    })
    this.#store.listen(this.#delivery)
    this.#nats = new NatsLink(config.exp.natsUrls, log.child({ component: 'nats' }), this.#board.natsHistory)
    this.#pipelineParts = { nats: this.#nats, store: this.#store, limits, log, clock: this.#clock }
    this.#reloads = new ReloadApplier(this)
  }

  get config(): Config {
    return this.#config
  }

  /** The NATS connection, once established (it is retried forever). */
  natsConnection(): Promise<NatsConnection> {
    return this.#nats.connected()
  }

  /** Tells `observer` the NATS-to-broker latency of each delivered message. */
  addLatencyObserver(observer: LatencyObserver): void {
    this.#board.addLatencyObserver(observer)
  }

  /**
   * Opens the store and starts connecting to both brokers. Resolves without waiting for either:
   * the service takes messages while the cloud is unreachable, and waits for NATS in the background.
   */
  async start(): Promise<void> {
    await this.#store.start()
    for (const rc of this.#config.routes) this.addRoute(rc)
    this.#delivery.setRoutes(this.#config.routes)
    await this.#delivery.start()
    await this.#nats.start()
    void this.#whenNatsReady() // NATS connects in the background, retrying forever; failures are logged there
  }

  /** Subscribes the routes and starts the heartbeat once NATS is connected. */
  async #whenNatsReady(): Promise<void> {
    try {
      await this.#nats.connected()
    } catch (err: unknown) {
      if (!this.#stopping) this.#log.error({ err: describeError(err) }, 'NATS connection gave up')
      return
    }
    if (this.#stopping) return
    for (const pipeline of this.#pipelines.values()) await pipeline.start()
    await this.#startHeartbeat(this.#config.exp.heartbeatIntervalMs)
  }

  async #startHeartbeat(intervalMs: number): Promise<void> {
    const nc = this.#nats.connection
    if (nc === undefined || this.#stopping) return
    this.#heartbeat = new Heartbeat(nc, intervalMs, () => this.#heartbeatStatus(), this.#log.child({ component: 'heartbeat' }))
    await this.#heartbeat.start()
  }

  #heartbeatStatus(): HeartbeatStatus {
    return { status: 'online', mqtt: this.#delivery.sink?.state ?? 'disconnected', queued: this.#queuedTotal() }
  }

  #queuedTotal(): number {
    let n = 0
    for (const id of this.#store.routeIds()) n += this.#store.stats(id).messages
    return n
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

  status(): ServiceStatus {
    return this.#board.snapshot({ nats: this.#nats, store: this.#store, dispatcher: this.#delivery.dispatcher, sink: this.#delivery.sink, pipelines: this.#pipelines })
  }

  /**
   * Applies a new configuration without a restart and without losing a message
   * (docs/configuration.md, "Reload"): src/reload/reload-plan.ts says what changes,
   * src/reload/apply-reload.ts does it. Returns what changed, for the log.
   */
  async applyConfig(next: Config): Promise<string[]> {
    if (this.#stopping) return []
    return this.#reloads.apply(next)
  }

  // ReloadTarget: what a reload changes.

  setConfig(config: Config): void {
    this.#config = config
  }

  warn(message: string): void {
    this.#log.warn({}, message)
  }

  setLogLevel(level: LogLevel): void {
    this.#log.level = level
  }

  async restartHeartbeat(intervalMs: number): Promise<boolean> {
    if (this.#heartbeat === undefined) return false
    await this.#heartbeat.close()
    await this.#startHeartbeat(intervalMs)
    return true
  }

  /** Builds a route's pipeline; it subscribes at start() (now, or once NATS is connected). */
  addRoute(rc: RouteConfig): RoutePipeline {
    const pipeline = new RoutePipeline(rc, this.#board.statsFor(rc.natsTopic), this.#pipelineParts)
    this.#pipelines.set(rc.natsTopic, pipeline)
    return pipeline
  }

  retireRoute(id: string): RoutePipeline | undefined {
    const pipeline = this.#pipelines.get(id)
    this.#pipelines.delete(id)
    return pipeline
  }

  setDeliveryRoutes(routes: readonly RouteConfig[]): void {
    this.#delivery.setRoutes(routes)
  }

  reconnectMqtt(mqtt: MqttConfig): Promise<void> {
    return this.#delivery.reconnect(mqtt)
  }

  /**
   * Graceful stop (docs/architecture.md, "Lifecycle"): no new messages, in-flight ones get up to
   * `deadlineMs` to be acknowledged, the rest stays in the store. Stops in reverse start order.
   */
  async stop(deadlineMs = 5000): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    await this.#heartbeat?.stop(deadlineMs)
    await Promise.all([...this.#pipelines.values()].map((p) => p.stop(deadlineMs)))
    await this.#nats.stop(deadlineMs)
    await this.#delivery.stop(deadlineMs)
    await this.#store.stop(deadlineMs)
    await this.#store.close()
    this.#log.info({ queued: this.#queuedTotal(), store: this.#store.kind }, 'stopped')
  }

  /** Lets go of everything at once; what is queued stays in a file store. Idempotent. */
  async close(): Promise<void> {
    this.#stopping = true
    await this.#heartbeat?.close()
    await Promise.all([...this.#pipelines.values()].map((p) => p.close()))
    await this.#nats.close()
    await this.#delivery.close()
    await this.#store.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
