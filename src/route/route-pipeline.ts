import type { Clock, Timer } from '../clock.js'
import type { RouteConfig } from '../config/types.js'
import { describeError } from '../errors.js'
import type { Lifecycle } from '../lifecycle.js'
import type { Logger } from '../logger.js'
import type { PublishLimits } from '../mqtt-limits.js'
import { CoreSubscription } from '../source/core-subscription.js'
import { JetStreamSubscription } from '../source/jetstream-subscription.js'
import type { MessageSource } from '../source/message-source.js'
import type { NatsLink } from '../source/nats-link.js'
import type { MessageStore } from '../store/store.js'
import { Route } from './route.js'
import type { RouteStats } from './route-stats.js'

/** A route whose subscription failed (stream missing and not creatable, permissions…) tries again this often. */
export const RESUBSCRIBE_MS = 5000

/** What every pipeline shares. */
export interface PipelineParts {
  nats: NatsLink
  store: MessageStore
  /** The broker's size limit as far as it is known: the route refuses bigger messages before queueing them. */
  limits: PublishLimits
  log: Logger
  clock: Clock
}

/**
 * One `[[routes]]` entry from NATS to the store: its source (a core subscription or a JetStream
 * consumer) hands each message to the {@link Route} (topic map, transform, checks), which appends
 * it to the store. From there the delivery side (src/delivery/) takes over.
 *
 * The pipeline owns its subscription: start() subscribes once NATS is connected, and while that
 * fails it says why (`fault`, shown by /health) and tries again every {@link RESUBSCRIBE_MS}, until
 * it works or the pipeline stops.
 */
export class RoutePipeline implements Lifecycle {
  readonly route: Route
  readonly #parts: PipelineParts
  #source: MessageSource | undefined
  #fault: string | undefined
  #retry: Timer | undefined
  #stopped = false

  constructor(config: RouteConfig, stats: RouteStats, parts: PipelineParts) {
    this.#parts = parts
    this.route = new Route(config, parts.store, parts.log, stats, parts.limits)
  }

  get id(): string {
    return this.route.id
  }

  get config(): RouteConfig {
    return this.route.config
  }

  /** Why the route is not subscribed, while it is not. */
  get fault(): string | undefined {
    return this.#fault
  }

  /**
   * Subscribes, if NATS is connected (the service calls start() again once it is). Never rejects:
   * a failure is logged, shown, and retried.
   */
  async start(): Promise<void> {
    const nc = this.#parts.nats.connection
    if (!nc || this.#source || this.#stopped) return
    const { route } = this
    const source = this.#sourceFor(nc)
    this.#source = source
    try {
      await source.start()
    } catch (err: unknown) {
      this.#source = undefined
      this.#fault = `route ${route.id}: ${describeError(err)}`
      this.#parts.log.error({ route: route.id, err: describeError(err) }, 'route could not subscribe; retrying in 5 s')
      this.#retry = this.#parts.clock.setTimeout(() => this.#retrySubscribe(), RESUBSCRIBE_MS).unref()
      return
    }
    this.#fault = undefined
    this.#parts.log.info({ route: route.id, subject: route.subject, source: route.config.source }, 'route subscribed')
  }

  /** Takes no new messages; what the source already handed over is the store's. */
  async stop(deadlineMs: number): Promise<void> {
    const source = this.#halt()
    try {
      await source?.stop(deadlineMs)
    } catch (err: unknown) {
      this.#parts.log.warn({ route: this.route.id, err: describeError(err) }, 'unsubscribe failed')
    }
  }

  async close(): Promise<void> {
    await this.#halt()?.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #retrySubscribe(): void {
    this.#retry = undefined
    void this.start() // never rejects: a failure schedules the next try
  }

  /** Ends the retries and hands back the source to stop or close. */
  #halt(): MessageSource | undefined {
    this.#stopped = true
    this.#parts.clock.clearTimeout(this.#retry)
    this.#retry = undefined
    this.#fault = undefined
    const source = this.#source
    this.#source = undefined
    return source
  }

  #sourceFor(nc: NonNullable<NatsLink['connection']>): MessageSource {
    const { route } = this
    if (route.config.source === 'core') return new CoreSubscription(nc, route.subject, route)
    const { stream, durable } = route.config
    const log = this.#parts.log.child({ component: 'jetstream', route: route.id })
    return new JetStreamSubscription(nc, { stream, durable, subject: route.subject, store: this.#parts.store }, route, log)
  }
}
