import { describeValue } from './coerce.js'

/**
 * Durations as Go writes them (`time.ParseDuration`: "500ms", "1h30m", "1.5s") plus days ("7d"),
 * which `max_age` needs and Go lacks. A bare number means seconds, as in most gateway configs.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign, accepted by Go
  'μs': 1e-3, // U+03BC Greek mu, accepted by Go
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

// Longest units first so "ms" is not read as "m" followed by garbage.
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y
const BARE_NUMBER = /^(\d+(?:\.\d*)?|\.\d+)$/

/**
 * Parses a duration into whole milliseconds (rounded). Accepts a non-negative number or numeric
 * string (seconds), `"0"`, or a sequence of `<number><unit>` with units ns, us, ms, s, m, h, d.
 *
 * @param what names the setting; it starts the message of the thrown `Error`.
 * @throws Error `<what>: expected a duration such as …, found …` on anything else.
 */
export function parseDuration(value: unknown, what: string): number {
  const ms = durationMs(value)
  if (ms === undefined) {
    throw new Error(
      `${what}: expected a duration such as "500ms", "10s", "1h30m" or "7d" (a bare number means seconds), found ${describeValue(value)}`,
    )
  }
  return ms
}

function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (BARE_NUMBER.test(text)) return Math.round(Number(text) * 1000)
  if (text === '') return undefined
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const match = PART.exec(text)
    if (match === null) return undefined
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN)
  }
  return Number.isFinite(total) ? Math.round(total) : undefined
}

const FORMAT_UNITS: ReadonlyArray<[string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
]

/**
 * Compact text for a duration in ms that {@link parseDuration} reads back: `10s`, `7d`, `1h30m`,
 * `1m500ms` (zero parts are left out; 0 is `0s`).
 */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms)
  if (!Number.isFinite(rest) || rest <= 0) return '0s'
  let text = ''
  for (const [unit, size] of FORMAT_UNITS) {
    const count = Math.floor(rest / size)
    if (count > 0) text += `${count}${unit}`
    rest -= count * size
  }
  return text
}
