// Figures computed from what the reader saw.

/** What one measured run delivered. */
export interface Delivery {
  /** Messages the reader received (duplicates included). */
  received: number
  /** Distinct sequence numbers received. */
  distinct: number
  /** Wall-clock ms of the first publish (NATS, or the line fed to mosquitto_pub). */
  firstSentMs: number
  firstReceivedMs: number
  lastReceivedMs: number
  /** Latency from publish to delivery at the reader, ms. */
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

/** Accumulates (publish time, receive time) pairs of one run. */
export class DeliveryRecorder {
  #latencies: Float64Array
  #n = 0
  #seen: Uint8Array
  #distinct = 0
  #firstSent = Number.POSITIVE_INFINITY
  #firstReceived = Number.POSITIVE_INFINITY
  #lastReceived = 0

  constructor(expected: number) {
    this.#latencies = new Float64Array(Math.max(16, expected))
    this.#seen = new Uint8Array(Math.max(16, expected))
  }

  get received(): number {
    return this.#n
  }

  add(seq: number, sentAtMs: number, receivedAtMs: number): void {
    if (this.#n === this.#latencies.length) {
      const grown = new Float64Array(this.#latencies.length * 2)
      grown.set(this.#latencies)
      this.#latencies = grown
    }
    this.#latencies[this.#n++] = receivedAtMs - sentAtMs
    if (seq >= 0 && seq < this.#seen.length && this.#seen[seq] === 0) {
      this.#seen[seq] = 1
      this.#distinct++
    }
    if (sentAtMs < this.#firstSent) this.#firstSent = sentAtMs
    if (receivedAtMs < this.#firstReceived) this.#firstReceived = receivedAtMs
    if (receivedAtMs > this.#lastReceived) this.#lastReceived = receivedAtMs
  }

  result(): Delivery {
    const sorted = this.#latencies.slice(0, this.#n).sort()
    return {
      received: this.#n,
      distinct: this.#distinct,
      firstSentMs: this.#firstSent,
      firstReceivedMs: this.#firstReceived,
      lastReceivedMs: this.#lastReceived,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    }
  }
}

/** Messages a second from the first publish to the last delivery. */
export function throughput(d: Delivery): number {
  const spanMs = d.lastReceivedMs - d.firstSentMs
  return spanMs > 0 ? (d.received * 1000) / spanMs : Number.NaN
}
