/**
 * Exponential reconnect backoff with jitter: 1 s, 2 s, 4 s … up to 30 s, back to 1 s after a
 * successful connect. Jitter spreads the reconnects of many gateways after a cloud outage.
 */
export class Backoff {
  readonly #initialMs: number
  readonly #maxMs: number
  readonly #random: () => number
  #attempt = 0

  constructor(initialMs = 1000, maxMs = 30_000, random: () => number = Math.random) {
    this.#initialMs = initialMs
    this.#maxMs = maxMs
    this.#random = random
  }

  /** Delay before the next attempt; each call moves one step further. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt)
    if (base < this.#maxMs) this.#attempt++
    // ±20 % jitter, never below the initial delay.
    return Math.max(this.#initialMs, Math.round(base * (0.8 + 0.4 * this.#random())))
  }

  reset(): void {
    this.#attempt = 0
  }
}
