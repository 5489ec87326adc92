import type { Clock } from '../clock.js'
import type { MqttConfig, RouteConfig } from '../config/types.js'
import type { Lifecycle } from '../lifecycle.js'
import type { Logger } from '../logger.js'
import type { PublishLimits } from '../mqtt-limits.js'
import { MqttSink } from '../sink/mqtt-sink.js'
import type { LinkObserver } from '../source/nats-link.js'
import type { DropReason, MessageStore, StoreListener } from '../store/store.js'
import type { DeliveryObserver } from './ack-path.js'
import { Dispatcher } from './dispatcher.js'
import { SendCheck } from './send-check.js'

/** How long a reload's `[mqtt]` change waits for acks before the connection is replaced. */
export const RECONNECT_PAUSE_MS = 3000

/** Who hears what becomes of messages: delivered, refused, dead-lettered, dropped by the store. */
export interface DeliveryCounters extends DeliveryObserver {
  dropped(routeId: string, count: number, reason: DropReason): void
}

export interface DeliveryParts {
  store: MessageStore
  limits: PublishLimits
  counters: DeliveryCounters
  /** The MQTT link's history: only the sink in use speaks for it. */
  mqttHistory: LinkObserver
  log: Logger
  clock: Clock
}

/**
 * The delivery side: the store's queues → the {@link Dispatcher} → the {@link MqttSink} → the
 * broker, and back along the ack path (ack-path.ts). It is the store's listener (a new message
 * wakes the dispatcher; a drop is counted) and keeps the MQTT connection in use, which a reload
 * may replace ({@link reconnect}).
 */
export class Delivery implements Lifecycle, StoreListener {
  readonly dispatcher: Dispatcher
  readonly #parts: DeliveryParts
  #mqtt: MqttConfig
  #sink: MqttSink | undefined

  constructor(mqtt: MqttConfig, parts: DeliveryParts) {
    this.#mqtt = mqtt
    this.#parts = parts
    const { store } = parts
    this.dispatcher = new Dispatcher(store, parts.counters, {
      check: new SendCheck(parts.limits, () => store.recoveredSeq),
      clock: parts.clock,
      // A memory store loses what it holds at exit, so it keeps sending until the stop deadline.
      drainOnStop: store.kind === 'memory',
    })
  }

  /** The MQTT connection in use (undefined before start). */
  get sink(): MqttSink | undefined {
    return this.#sink
  }

  /** StoreListener: a route's queue got a message. */
  available(routeId: string): void {
    this.dispatcher.notify(routeId)
  }

  /** StoreListener: the store dropped messages; counted and logged. */
  dropped(routeId: string, count: number, reason: DropReason): void {
    this.#parts.counters.dropped(routeId, count, reason)
  }

  /** The configured routes and their priorities; routes no longer configured drain what they queued. */
  setRoutes(routes: readonly RouteConfig[]): void {
    this.dispatcher.setRoutes(routes.map((rc) => ({ id: rc.natsTopic, priority: rc.priority })))
  }

  /** Starts the dispatcher and connects to the broker (never waits for it). */
  async start(): Promise<void> {
    await this.dispatcher.start()
    await this.#startSink()
  }

  /**
   * A reload changed `[mqtt]`: stop handing out messages, wait up to {@link RECONNECT_PAUSE_MS}
   * for acks (fewer are sent twice), start a new connection, and close the old one.
   */
  async reconnect(mqtt: MqttConfig): Promise<void> {
    await this.dispatcher.pause(RECONNECT_PAUSE_MS)
    this.#mqtt = mqtt
    this.#parts.limits.setConfig(mqtt)
    const old = this.#sink
    try {
      await this.#startSink()
    } finally {
      this.dispatcher.resume()
    }
    await old?.close()
  }

  /** In-flight messages get up to `deadlineMs` to be acknowledged; the rest stays in the store. */
  async stop(deadlineMs: number): Promise<void> {
    await this.dispatcher.stop(deadlineMs)
    await this.#sink?.stop(deadlineMs)
  }

  async close(): Promise<void> {
    await this.dispatcher.close()
    await this.#sink?.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async #startSink(): Promise<void> {
    const sink = new MqttSink(this.#mqtt, this.#parts.log.child({ component: 'mqtt' }))
    sink.on('connected', () => this.#onConnected(sink))
    sink.on('disconnected', () => this.#onDisconnected(sink))
    // QoS 2: a PUBREC made room without a publish completing; pump after the packet is handled.
    sink.on('room', () => process.nextTick(() => this.dispatcher.pump()))
    if (this.#sink !== undefined) this.#parts.mqttHistory.down('reconnecting: [mqtt] changed by a reload')
    await sink.start()
    this.#sink = sink
    this.dispatcher.setPublisher(sink)
  }

  #onConnected(sink: MqttSink): void {
    // Only the sink in use speaks for the link: the one a reload replaced closes after this one starts.
    if (this.#sink === sink) {
      this.#parts.mqttHistory.up()
      this.#parts.store.linkUp(true)
    }
    this.#parts.limits.setBrokerMax(sink.maxPacketBytes)
    this.dispatcher.schedule()
  }

  #onDisconnected(sink: MqttSink): void {
    if (this.#sink === sink) {
      this.#parts.mqttHistory.down(sink.lastError)
      this.#parts.store.linkUp(false)
    }
  }
}
