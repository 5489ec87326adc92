import { setFlagsFromString } from 'node:v8'

/**
 * How far V8 lets the old generation grow past what is live before collecting it again, in percent.
 *
 * Left to itself V8 waits until the old generation is two to four times the live set (and, the
 * first time, until it holds about 130 MiB). Over a slow uplink every message in flight lives one
 * round trip, long enough to be promoted to the old generation, where it then dies: with a full
 * window at 600 ms the service had 40–50 MiB live and 270 MiB of RSS, most of it garbage waiting
 * for that collection. Collecting at 1.5 × the live set took the peak to 177–195 MiB for about
 * 5 % more CPU in a burst; 30 % saved another 10–20 MiB for 10–15 % more CPU. On Node 24, whose
 * young generation grows to 128 MiB instead of 32, the same run went from 381–439 to 304–305 MiB
 * (docs/performance.md, "RSS").
 */
export const HEAP_GROWING_PERCENT = 50

/**
 * The V8 flag the service sets on itself at start, or undefined when the operator already chose
 * one on the command line (`node --heap-growing-percent=N dist/src/main.js`): theirs wins.
 */
export function heapGrowthFlag(execArgv: readonly string[]): string | undefined {
  const chosen = execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))
  return chosen ? undefined : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`
}

/**
 * Sets {@link HEAP_GROWING_PERCENT} before the service allocates anything. V8 reads this flag each
 * time it sizes the heap after a collection, so setting it at run time takes effect (measured on
 * Node 20 and 24, docs/performance.md; Node does not freeze V8's flags).
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): string | undefined {
  const flag = heapGrowthFlag(execArgv)
  if (flag !== undefined) setFlagsFromString(flag)
  return flag
}
