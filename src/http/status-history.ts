import { systemClock } from '../clock.js'
import type { Clock, Timer } from '../clock.js'
import type { Lifecycle } from '../lifecycle.js'
import type { ServiceStatus } from '../status/service-status.js'

/** A route's counters at one sample. */
interface RouteCounters {
  received: number
  published: number
  queued: number
}

/** The raw sample: counters of every route at a time. */
interface Sample {
  t: number
  routes: Map<string, RouteCounters>
}

/** Rates and depth of one route (or all) over one sample interval, as the charts draw them. */
export interface ChartPoint {
  /** msg/s taken off NATS and acknowledged by the broker over the interval ending at the sample. */
  in: number
  out: number
  queued: number
}

/** One point of the status page's charts: totals, and each route present at that time. */
export interface ChartSample extends ChartPoint {
  t: number
  routes: Record<string, ChartPoint>
}

/** A route's (or the total's) rates now, in msg/s. */
export interface Rates {
  in: number
  out: number
}

/** The window of the rates in the table: long enough to smooth batches, short enough to be "now". */
export const RATE_WINDOW_MS = 5000

/**
 * The last minutes of per-route counters, sampled every `intervalMs` (1 s), so that the status
 * page has rates and a chart the moment it opens (issue 11: rates computed from two polls of the
 * page showed 0 msg/s on first load while 200 msg/s flowed). Bounded: `maxSamples` entries.
 */
export class StatusHistory implements Lifecycle {
  readonly #status: () => ServiceStatus
  readonly #intervalMs: number
  readonly #maxSamples: number
  readonly #clock: Clock
  readonly #samples: Sample[] = []
  #timer: Timer | undefined

  constructor(status: () => ServiceStatus, intervalMs = 1000, maxSamples = 320, clock: Clock = systemClock) {
    this.#status = status
    this.#intervalMs = intervalMs
    this.#maxSamples = maxSamples
    this.#clock = clock
  }

  /** Samples every interval, the first one interval from now. */
  start(): Promise<void> {
    this.#timer ??= this.#clock.setInterval(() => this.sample(), this.#intervalMs).unref()
    return Promise.resolve()
  }

  stop(_deadlineMs: number): Promise<void> {
    return this.close()
  }

  close(): Promise<void> {
    this.#clock.clearInterval(this.#timer)
    this.#timer = undefined
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  sample(now = this.#clock.now(), s: ServiceStatus = this.#status()): void {
    const routes = new Map<string, RouteCounters>()
    for (const r of s.routes) routes.set(r.id, { received: r.stats.received, published: r.stats.published, queued: r.queued })
    this.#samples.push({ t: now, routes })
    if (this.#samples.length > this.#maxSamples) this.#samples.shift()
  }

  /**
   * Each route's rates over the last {@link RATE_WINDOW_MS} (or since the oldest sample, when the
   * service is younger), from the counters of `s` now: right on the first request.
   */
  rates(s: ServiceStatus, now = this.#clock.now()): { total: Rates; routes: Map<string, Rates> } {
    const base = this.#baseFor(now)
    const routes = new Map<string, Rates>()
    const total: Rates = { in: 0, out: 0 }
    const seconds = base === undefined ? 0 : (now - base.t) / 1000
    for (const r of s.routes) {
      const before = base?.routes.get(r.id) ?? { received: 0, published: 0, queued: 0 }
      // A route that appeared after the base sample (a reload added it) started from 0.
      const rates = seconds > 0 ? { in: Math.max(0, (r.stats.received - before.received) / seconds), out: Math.max(0, (r.stats.published - before.published) / seconds) } : { in: 0, out: 0 }
      routes.set(r.id, rates)
      total.in += rates.in
      total.out += rates.out
    }
    return { total, routes }
  }

  /** The newest sample at least RATE_WINDOW_MS old, else the oldest (at least 0.5 s old), else none. */
  #baseFor(now: number): Sample | undefined {
    for (let i = this.#samples.length - 1; i >= 0; i--) {
      const sample = this.#samples[i]!
      if (now - sample.t >= RATE_WINDOW_MS) return sample
    }
    const oldest = this.#samples[0]
    return oldest !== undefined && now - oldest.t >= 500 ? oldest : undefined
  }

  /** The chart's points after `since` (Unix ms; all with 0): rates over each sample interval. */
  chart(since = 0): ChartSample[] {
    const out: ChartSample[] = []
    for (let i = 1; i < this.#samples.length; i++) {
      const b = this.#samples[i]!
      if (b.t <= since) continue
      const a = this.#samples[i - 1]!
      const dt = (b.t - a.t) / 1000
      if (!(dt > 0)) continue
      const point: ChartSample = { t: b.t, in: 0, out: 0, queued: 0, routes: {} }
      for (const [id, now] of b.routes) {
        const before = a.routes.get(id) ?? { received: now.received, published: now.published, queued: 0 }
        const p: ChartPoint = {
          in: round(Math.max(0, (now.received - before.received) / dt)),
          out: round(Math.max(0, (now.published - before.published) / dt)),
          queued: now.queued,
        }
        point.routes[id] = p
        point.in += p.in
        point.out += p.out
        point.queued += p.queued
      }
      point.in = round(point.in)
      point.out = round(point.out)
      out.push(point)
    }
    return out
  }
}

/** One decimal: the chart needs no more, and the JSON stays small. */
function round(n: number): number {
  return Math.round(n * 10) / 10
}
