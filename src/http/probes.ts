import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'
import type { ServerResponse } from 'node:http'
import type { StoreConfig } from '../config/types.js'
import type { Lifecycle } from '../lifecycle.js'
import type { ServiceStatus } from '../status/service-status.js'
import type { HttpServer } from './server.js'
import { sendJson } from './server.js'

/** What /readyz says, and why. */
export interface Readiness {
  ready: boolean
  /** Why it is not ready; empty when it is. */
  reasons: string[]
}

/**
 * Whether the service can take messages and keep them (issue 11): NATS connected (nothing comes
 * in otherwise), and the store takes new messages: not refusing them on a full disk, not at
 * `max_bytes` with `overflow = drop_newest`. The cloud link is not a condition: taking and keeping
 * messages while the cloud is unreachable is what the store is for. A `drop_oldest` store at its
 * bound still keeps every new message (it drops the oldest, counted).
 */
export function readiness(s: ServiceStatus, store: StoreConfig): Readiness {
  const reasons: string[] = []
  if (s.nats !== 'connected') reasons.push('NATS disconnected: no message can come in')
  if (s.store === 'disk_full') reasons.push('the disk under the store is full: new messages are refused')
  const queuedBytes = s.routes.reduce((n, r) => n + r.queuedBytes, 0)
  const queued = s.routes.reduce((n, r) => n + r.queued, 0)
  // Full: the next message, as big as those waiting on average, would not fit (drop_newest drops it).
  if (store.overflow === 'drop_newest' && queued > 0 && queuedBytes + queuedBytes / queued > store.maxBytes) {
    reasons.push(`the store is full (${queuedBytes} of max_bytes ${store.maxBytes}) and overflow is drop_newest: new messages are dropped`)
  }
  return { ready: reasons.length === 0, reasons }
}

/** How often the event-loop delay window restarts: /livez reports the worst of the last 10 to 20 s. */
const LOOP_WINDOW_MS = 10_000

/**
 * `GET /livez` and `GET /readyz` (issue 11), beside the Go-compatible `/health`:
 *
 * - `/livez`: the process works. It answers 200 whenever the event loop turns (a hung process
 *   does not answer, and the probe's timeout counts that), with the worst event-loop delay of the
 *   last seconds for the curious. Nothing outside the process makes it fail: a restart cures no
 *   broker outage, and a memory store loses its queue in one.
 * - `/readyz`: the service can take messages and keep them ({@link readiness}): 200, or 503 with
 *   the reasons. An orchestrator should hold a rollout and alert on it, never restart for it.
 *
 * The constructor registers the endpoints; start() starts the event-loop monitor, close() ends it.
 */
export class Probes implements Lifecycle {
  readonly #status: () => ServiceStatus
  readonly #store: () => StoreConfig
  #loop: IntervalHistogram | undefined
  #timer: NodeJS.Timeout | undefined
  #previousMaxMs = 0
  #startedAt = Date.now()

  constructor(http: HttpServer, status: () => ServiceStatus, store: () => StoreConfig) {
    this.#status = status
    this.#store = store
    http.on('GET', '/livez', (_req, res) => this.#livez(res))
    http.on('GET', '/readyz', (_req, res) => this.#readyz(res))
  }

  start(): Promise<void> {
    if (this.#loop !== undefined) return Promise.resolve()
    const loop = monitorEventLoopDelay({ resolution: 20 })
    loop.enable()
    this.#loop = loop
    this.#startedAt = Date.now()
    this.#timer = setInterval(() => {
      this.#previousMaxMs = loop.max / 1e6
      loop.reset()
    }, LOOP_WINDOW_MS)
    this.#timer.unref()
    return Promise.resolve()
  }

  stop(_deadlineMs: number): Promise<void> {
    return this.close()
  }

  close(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#loop?.disable()
    this.#loop = undefined
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #livez(res: ServerResponse): void {
    const maxMs = Math.max(this.#previousMaxMs, (this.#loop?.max ?? 0) / 1e6)
    sendJson(res, 200, { status: 'ok', uptime_s: Math.round((Date.now() - this.#startedAt) / 1000), event_loop_delay_max_ms: Math.round(maxMs) })
  }

  #readyz(res: ServerResponse): void {
    const s = this.#status()
    const verdict = readiness(s, this.#store())
    sendJson(res, verdict.ready ? 200 : 503, { status: verdict.ready ? 'ready' : 'not ready', reasons: verdict.reasons, nats: s.nats, mqtt: s.mqtt, store: s.store })
  }
}
