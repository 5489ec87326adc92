import { systemClock } from './clock.js'
import type { Clock, Timer } from './clock.js'
import type { Logger } from './logger.js'

/**
 * Logs the first occurrence at once, then at most one line per interval carrying the number of
 * occurrences suppressed meanwhile: a flood of bad messages must not become a flood of log lines.
 * When the flood stops, the count still left is logged at the end of the interval.
 */
export class RateLimitedLog {
  readonly #log: Logger
  readonly #intervalMs: number
  readonly #clock: Clock
  #lastAt = -Infinity
  #suppressed = 0
  #lastFields: Record<string, unknown> = {}
  #lastMessage = ''
  #flushTimer: Timer | undefined

  constructor(log: Logger, intervalMs: number, clock: Clock = systemClock) {
    this.#log = log
    this.#intervalMs = intervalMs
    this.#clock = clock
  }

  warn(fields: Record<string, unknown>, message: string, now = this.#clock.now()): void {
    if (now - this.#lastAt < this.#intervalMs) {
      this.#suppressed++
      this.#lastFields = fields
      this.#lastMessage = message
      if (this.#flushTimer === undefined) this.#flushTimer = this.#clock.setTimeout(() => this.#flush(), this.#intervalMs - (now - this.#lastAt)).unref()
      return
    }
    this.#lastAt = now
    const suppressed = this.#suppressed
    this.#suppressed = 0
    this.#log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message)
  }

  #flush(): void {
    this.#flushTimer = undefined
    if (this.#suppressed === 0) return
    this.#lastAt = this.#clock.now()
    this.#log.warn({ ...this.#lastFields, suppressed: this.#suppressed }, this.#lastMessage)
    this.#suppressed = 0
  }
}
