import type { Logger } from './logger.js'

/**
 * Logs the first occurrence at once, then at most one line per interval with the number of
 * occurrences suppressed meanwhile: a flood of bad messages must not become a flood of log lines.
 */
export class RateLimitedLog {
  readonly #log: Logger
  readonly #intervalMs: number
  #lastAt = -Infinity
  #suppressed = 0

  constructor(log: Logger, intervalMs: number) {
    this.#log = log
    this.#intervalMs = intervalMs
  }

  warn(fields: Record<string, unknown>, message: string, now = Date.now()): void {
    if (now - this.#lastAt < this.#intervalMs) {
      this.#suppressed++
      return
    }
    this.#lastAt = now
    const suppressed = this.#suppressed
    this.#suppressed = 0
    this.#log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message)
  }
}
