import type { ServiceStatus } from '../service.js'

/** One sample of the status page's chart: totals over all routes at a time. */
export interface StatusSample {
  t: number
  received: number
  published: number
  queued: number
}

/**
 * The last minutes of totals, sampled every `intervalMs`, so the status page can draw a chart the
 * moment it opens. Bounded: `maxSamples` entries.
 */
export class StatusHistory {
  readonly #status: () => ServiceStatus
  readonly #maxSamples: number
  readonly #samples: StatusSample[] = []
  #timer: NodeJS.Timeout | undefined

  constructor(status: () => ServiceStatus, intervalMs = 2000, maxSamples = 300) {
    this.#status = status
    this.#maxSamples = maxSamples
    this.#timer = setInterval(() => this.sample(), intervalMs)
    this.#timer.unref()
  }

  sample(now = Date.now()): void {
    const s = this.#status()
    let received = 0
    let published = 0
    for (const r of s.routes) {
      received += r.stats.received
      published += r.stats.published
    }
    this.#samples.push({ t: now, received, published, queued: s.queued })
    if (this.#samples.length > this.#maxSamples) this.#samples.shift()
  }

  samples(): readonly StatusSample[] {
    return this.#samples
  }

  close(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
