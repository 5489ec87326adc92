import type { Metric } from 'prom-client'

/** One sample line of the exposition: `<metricName>{labels} value`. */
interface Sample {
  metricName: string
  labels: Record<string, string | number>
  value: number
}

/** What prom-client's Registry reads from a metric at a scrape. */
export interface HistogramSnapshot {
  name: string
  help: string
  type: 'histogram'
  aggregator: 'sum'
  values: Sample[]
}

/** One route's observations: a count per bucket (not cumulative; the last one is +Inf), sum, count. */
interface RouteCounts {
  buckets: Float64Array
  sum: number
  count: number
}

/**
 * A Prometheus histogram with a `route` label, observed once per delivered message
 * (`export_publish_latency_seconds`). prom-client's Histogram converts, validates and hashes the
 * label set on every observation, which took about 5 % of the service's busy time in a loopback
 * burst (docs/performance.md); here an observation is a search over the bounds and three additions.
 * The registry reads it at scrape time through the interface it reads its own metrics by (`name`,
 * `type`, `get()`, `reset()`), so /metrics says exactly what prom-client's Histogram said.
 */
export class LatencyHistogram {
  readonly name: string
  readonly help: string
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  readonly #bounds: readonly number[]
  readonly #routes = new Map<string, RouteCounts>()

  constructor(name: string, help: string, bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${name}: histogram bounds must increase`)
    }
    this.name = name
    this.help = help
    this.#bounds = bounds
  }

  /** Counts `seconds` for `route`; a value that is not a finite number is not counted. */
  observe(route: string, seconds: number): void {
    if (!Number.isFinite(seconds)) return
    let counts = this.#routes.get(route)
    if (counts === undefined) {
      counts = { buckets: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 }
      this.#routes.set(route, counts)
    }
    counts.buckets[bucketOf(this.#bounds, seconds)]! += 1
    counts.sum += seconds
    counts.count += 1
  }

  /** What the registry reads at each scrape: cumulative buckets, then sum and count, per route. */
  get(): Promise<HistogramSnapshot> {
    const values: Sample[] = []
    const bucket = `${this.name}_bucket`
    for (const [route, counts] of this.#routes) {
      let cumulative = 0
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += counts.buckets[i]!
        values.push({ metricName: bucket, labels: { le: this.#bounds[i]!, route }, value: cumulative })
      }
      values.push({ metricName: bucket, labels: { le: '+Inf', route }, value: counts.count })
      values.push({ metricName: `${this.name}_sum`, labels: { route }, value: counts.sum })
      values.push({ metricName: `${this.name}_count`, labels: { route }, value: counts.count })
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator })
  }

  reset(): void {
    this.#routes.clear()
  }

  /**
   * For `Registry.registerMetric`, whose type lists prom-client's own four metric classes; the
   * registry only reads the members above.
   */
  asMetric(): Metric {
    return this as unknown as Metric
  }
}

/** The first bucket whose upper bound (`le`) is at least `value`; the +Inf bucket past the last. */
export function bucketOf(bounds: readonly number[], value: number): number {
  let lo = 0
  let hi = bounds.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (value <= bounds[mid]!) hi = mid
    else lo = mid + 1
  }
  return lo
}
