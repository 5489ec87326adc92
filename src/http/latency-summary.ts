/** Quantiles of a route's publish latency over the last minute. */
export interface LatencyQuantiles {
  /** Messages delivered in the window. */
  count: number
  /** Seconds; undefined when nothing was delivered in the window. */
  p50: number | undefined
  p99: number | undefined
}

/** Buckets per decade of seconds: each spans about 12 %, so a quantile is read to within 6 %. */
const PER_DECADE = 20
/** The first bucket starts at 100 µs; everything faster is counted there. */
const MIN_SECONDS = 1e-4
/** 100 µs to 10^5 s (a day and more, a long outage's backlog): 9 decades. */
const BUCKETS = 9 * PER_DECADE
const SLOT_MS = 10_000
/** Slots kept: the window is the last 60 to 70 s. */
const SLOTS = 7

interface Slot {
  index: number
  counts: Uint32Array
}

/**
 * The p50 and p99 of each route's publish latency (NATS receipt → broker ack) over the last
 * minute, for the status page. The Prometheus histogram (`export_publish_latency_seconds`) counts
 * since the start in 18 coarse buckets: fine for `histogram_quantile` over a rate, too coarse and
 * too old for a person asking "how long does a message take now". This keeps, per route, 7 slots
 * of 10 s of 180 log-spaced buckets: fixed memory, an array increment per message.
 */
export class LatencySummary {
  readonly #routes = new Map<string, Slot[]>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** As a LatencyObserver of the service (src/status/service-status.ts). */
  observeLatency(routeId: string, seconds: number): void {
    this.observe(routeId, seconds)
  }

  observe(routeId: string, seconds: number): void {
    const index = Math.floor(this.#now() / SLOT_MS)
    let slots = this.#routes.get(routeId)
    if (slots === undefined) {
      slots = []
      this.#routes.set(routeId, slots)
    }
    // The current slot is kept first: one comparison per message on the hot path.
    let slot = slots[0]
    if (slot === undefined || slot.index !== index) slot = this.#open(slots, index)
    slot.counts[bucketOf(seconds)]! += 1
  }

  #open(slots: Slot[], index: number): Slot {
    let slot: Slot
    if (slots.length < SLOTS) {
      slot = { index, counts: new Uint32Array(BUCKETS) }
    } else {
      // All taken: reuse the oldest slot's array (the last one), no allocation after the first minute.
      slot = slots.pop()!
      slot.index = index
      slot.counts.fill(0)
    }
    slots.unshift(slot)
    return slot
  }

  /** The route's quantiles over the last minute (the current 10 s slot and the 6 before it). */
  quantiles(routeId: string): LatencyQuantiles {
    const oldest = Math.floor(this.#now() / SLOT_MS) - (SLOTS - 1)
    const total = new Float64Array(BUCKETS)
    let count = 0
    for (const slot of this.#routes.get(routeId) ?? []) {
      if (slot.index < oldest) continue
      for (let i = 0; i < BUCKETS; i++) {
        const n = slot.counts[i]!
        total[i]! += n
        count += n
      }
    }
    if (count === 0) return { count, p50: undefined, p99: undefined }
    return { count, p50: quantile(total, count, 0.5), p99: quantile(total, count, 0.99) }
  }
}

function bucketOf(seconds: number): number {
  if (!(seconds > MIN_SECONDS)) return 0
  return Math.min(BUCKETS - 1, Math.floor(Math.log10(seconds / MIN_SECONDS) * PER_DECADE))
}

/** The geometric middle of the bucket holding the q-th observation. */
function quantile(counts: Float64Array, count: number, q: number): number {
  const rank = Math.max(1, Math.ceil(q * count))
  let seen = 0
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!
    if (seen >= rank) return MIN_SECONDS * 10 ** ((i + 0.5) / PER_DECADE)
  }
  return MIN_SECONDS * 10 ** (BUCKETS / PER_DECADE)
}
