import type { Lifecycle } from '../lifecycle.js'
import type { Logger } from '../logger.js'
import type { ConfigReloader } from '../reload/config-reloader.js'
import type { Service } from '../service.js'
import type { ServiceStatus } from '../status/service-status.js'
import { registerDeadLetters } from './dead-letters.js'
import { registerHealth } from './health.js'
import { LatencySummary } from './latency-summary.js'
import { Metrics } from './metrics.js'
import { Probes } from './probes.js'
import { registerReload } from './reload-endpoint.js'
import { HttpServer } from './server.js'
import { registerStatusPage } from './status-endpoints.js'
import { StatusHistory } from './status-history.js'
import { StoreUsageReader } from './store-usage.js'

/** The service's status with the last reload's error, as /health and the status page show it. */
export type StatusWithConfigError = ServiceStatus & { configError?: string }

/**
 * The HTTP edge, wired: /health, /livez, /readyz, /metrics, /status and the status page, /reload,
 * /dead-letters. Every endpoint reads the service's state through the service; the metrics and
 * the status page's latency quantiles are fed by the service as messages are delivered.
 *
 * start() listens on `[exp] port` and `http_host` (as started: they need a restart) and starts
 * the status history and the event-loop monitor; stop() and close() end them.
 */
export class HttpApp implements Lifecycle {
  readonly #service: Service
  readonly #reloader: ConfigReloader
  readonly #log: Logger
  readonly #server: HttpServer
  readonly #history: StatusHistory
  readonly #probes: Probes

  constructor(service: Service, reloader: ConfigReloader, log: Logger) {
    this.#service = service
    this.#reloader = reloader
    this.#log = log
    // The token is read at each request: a reload that changes it applies at once.
    this.#server = new HttpServer(log.child({ component: 'http' }), { token: () => service.config.exp.httpToken })
    const http = this.#server
    const status = (): ServiceStatus => service.status()
    const storeUsage = new StoreUsageReader(service.config.store, () => this.#queuedBytes())
    const metrics = new Metrics(status, storeUsage)
    const latency = new LatencySummary()
    service.addLatencyObserver(metrics)
    service.addLatencyObserver(latency)
    this.#history = new StatusHistory(status)
    const keepAliveMs = (): number => service.config.mqtt.keepAliveMs
    const withConfigError = (): StatusWithConfigError => this.#statusWithConfigError()
    registerHealth(http, withConfigError, keepAliveMs)
    this.#probes = new Probes(http, status, () => service.config.store)
    registerStatusPage(http, { status: withConfigError, config: () => service.config, history: this.#history, latency, storeUsage }, keepAliveMs)
    metrics.register(http)
    registerReload(http, reloader)
    registerDeadLetters(http, service)
  }

  async start(): Promise<void> {
    await this.#history.start()
    await this.#probes.start()
    const { port, httpHost, httpToken } = this.#service.config.exp
    await this.#server.listen(port, httpHost)
    this.#log.info({ host: httpHost === '' ? 'all interfaces' : httpHost, port, tokenRequired: httpToken !== '' }, 'HTTP listening')
  }

  /** Takes no new connections; requests under way finish (node:http's close). */
  async stop(_deadlineMs: number): Promise<void> {
    await this.close()
  }

  async close(): Promise<void> {
    await this.#history.close()
    await this.#probes.close()
    await this.#server.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #statusWithConfigError(): StatusWithConfigError {
    return { ...this.#service.status(), configError: this.#reloader.lastError }
  }

  #queuedBytes(): number {
    return this.#service.status().routes.reduce((n, r) => n + r.queuedBytes, 0)
  }
}
