/**
 * Time, injected: the dispatcher, group commit, rate-limited logs and the status history take a
 * {@link Clock} so that unit tests move time by hand (`test/helpers/manual-clock.ts`) instead of
 * sleeping. Production code uses {@link systemClock}.
 */

/** A pending timer; `unref()` lets the process exit while it waits (as Node's own timers). */
export interface Timer {
  unref(): Timer
}

export interface Clock {
  /** Wall-clock time, Unix ms (what Date.now() says). */
  now(): number
  setTimeout(fn: () => void, ms: number): Timer
  clearTimeout(timer: Timer | undefined): void
  setInterval(fn: () => void, ms: number): Timer
  clearInterval(timer: Timer | undefined): void
}

/** Node's timers and Date.now. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  // The only timers handed out are Node's own: the cast gives them back their type.
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
}
