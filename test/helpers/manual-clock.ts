import type { Clock, Timer } from '../../src/clock.js'

interface Pending {
  at: number
  fn: () => void
  /** Re-armed after it fires; undefined for a one-shot timer. */
  everyMs: number | undefined
  id: number
}

class ManualTimer implements Timer {
  constructor(readonly id: number) {}
  unref(): Timer {
    return this
  }
}

/**
 * A clock the test moves by hand: timers fire only inside `advance()`, in time order, so a test of
 * waits and intervals runs in no time and the same way every run.
 */
export class ManualClock implements Clock {
  #now: number
  #nextId = 1
  #pending: Pending[] = []

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, undefined)
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, Math.max(1, ms))
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer instanceof ManualTimer) this.#pending = this.#pending.filter((p) => p.id !== timer.id)
  }

  clearInterval(timer: Timer | undefined): void {
    this.clearTimeout(timer)
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#pending.length
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.#now + ms
    for (;;) {
      this.#pending.sort((a, b) => a.at - b.at || a.id - b.id)
      const next = this.#pending[0]
      if (next === undefined || next.at > end) break
      this.#now = next.at
      if (next.everyMs === undefined) this.#pending.shift()
      else next.at += next.everyMs
      next.fn()
    }
    this.#now = end
  }

  #add(fn: () => void, ms: number, everyMs: number | undefined): Timer {
    const id = this.#nextId++
    this.#pending.push({ at: this.#now + Math.max(0, ms), fn, everyMs, id })
    return new ManualTimer(id)
  }
}
