import { describeValue } from './coerce.js'

/**
 * Byte sizes for `max_bytes`: integer bytes or text with a unit. Binary units (KiB, MiB, GiB, TiB)
 * are powers of 1024; SI units (k, KB, MB, GB, TB) are powers of 1000, as disk vendors use them.
 */

const UNIT_BYTES: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
}

const SIZE = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)$/i

/**
 * Parses a size into whole bytes (rounded down): a non-negative integer, or a string such as
 * `"1048576"`, `"512MiB"`, `"1 GiB"`, `"100MB"`, `"10k"` (units case-insensitive).
 *
 * @param what names the setting; it starts the message of the thrown `Error`.
 * @throws Error `<what>: expected a size such as …, found …` on anything else.
 */
export function parseSize(value: unknown, what = 'size'): number {
  const bytes = sizeBytes(value)
  if (bytes === undefined) {
    throw new Error(
      `${what}: expected a size in bytes or with a unit such as "512MiB", "1GiB" or "100MB", found ${describeValue(value)}`,
    )
  }
  return bytes
}

function sizeBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  if (typeof value === 'bigint') return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined
  if (typeof value !== 'string') return undefined
  const match = SIZE.exec(value.trim())
  if (match === null) return undefined
  const unit = UNIT_BYTES[(match[2] ?? '').toLowerCase()]
  if (unit === undefined) return undefined
  const bytes = Math.floor(Number(match[1]) * unit)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

const FORMAT_UNITS: ReadonlyArray<[string, number]> = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
  ['TB', 1e12],
  ['GB', 1e9],
  ['MB', 1e6],
  ['kB', 1e3],
]

/**
 * Text for a byte count that {@link parseSize} reads back exactly: the unit giving the smallest
 * whole number (`1GiB`, `512MiB`, `100MB`), binary units on a tie, else plain bytes (`"1234"`).
 */
export function formatSize(bytes: number): string {
  let best = String(bytes)
  let bestCount = bytes
  for (const [unit, size] of FORMAT_UNITS) {
    if (bytes > 0 && bytes % size === 0 && bytes / size < bestCount) {
      best = `${bytes / size}${unit}`
      bestCount = bytes / size
    }
  }
  return best
}
