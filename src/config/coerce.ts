/**
 * Value coercion for config files and environment variables. Go's config structs and the Agent's
 * round trip mean the same setting arrives as `true`, `"true"` or `"1"`, so every reader here
 * accepts the string forms too.
 *
 * Convention shared by every value parser in `src/config/`: the second argument `what` names the
 * setting as the user wrote it (`[mqtt] qos`, `MF_EXPORT_MQTT_QOS`), and a thrown `Error`'s message
 * starts with it: `<what>: expected …, found …` for a value of the wrong form, `<what> must …` for
 * a rule it breaks. Callers add the file name.
 */

/** Describes a raw value for an error message: strings quoted, tables and arrays by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'an array'
  if (isDateLike(value)) return `a date (${value.toISOString()})`
  return 'a table'
}

// smol-toml returns TomlDate (a Date subclass) for TOML dates and times.
function isDateLike(value: unknown): value is { toISOString(): string } {
  return typeof value === 'object' && value !== null && typeof (value as { toISOString?: unknown }).toISOString === 'function'
}

/** Joins choices as `"a", "b" or "c"` for messages. */
export function listChoices(choices: readonly string[], quote = true): string {
  const shown = choices.map((c) => (quote ? JSON.stringify(c) : c))
  if (shown.length <= 1) return shown.join('')
  return `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1] ?? ''}`
}

/** Builds the `<what>: expected …, found …` error of the shared convention. */
export function expected(what: string, expectation: string, found: unknown): Error {
  return new Error(`${what}: expected ${expectation}, found ${describeValue(found)}`)
}

const TRUE_WORDS = new Set(['true', '1', 'yes'])
const FALSE_WORDS = new Set(['false', '0', 'no'])

/** `true`/`false`, `1`/`0`, or the strings `"true"`, `"false"`, `"1"`, `"0"`, `"yes"`, `"no"` (any case). */
export function coerceBoolean(value: unknown, what: string): boolean {
  if (typeof value === 'boolean') return value
  if (value === 1 || value === 0) return value === 1
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase()
    if (TRUE_WORDS.has(word)) return true
    if (FALSE_WORDS.has(word)) return false
  }
  throw expected(what, 'true or false', value)
}

/** Inclusive bounds for {@link coerceInteger}. */
export interface IntegerRange {
  min?: number
  max?: number
}

/** An integer from a number or a decimal string (`"8170"`), optionally bounded. */
export function coerceInteger(value: unknown, what: string, range: IntegerRange = {}): number {
  const n = toInteger(value)
  if (n === undefined) throw expected(what, 'an integer', value)
  const { min, max } = range
  if (min !== undefined && max !== undefined && (n < min || n > max)) {
    throw new Error(`${what} must be between ${min} and ${max}, found ${n}`)
  }
  if (min !== undefined && n < min) throw new Error(`${what} must be at least ${min}, found ${n}`)
  if (max !== undefined && n > max) throw new Error(`${what} must be at most ${max}, found ${n}`)
  return n
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined
  }
  // Decimal digits only: Number() would also take "0x10", "1e3" and "".
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : undefined
  }
  return undefined
}

/**
 * A string setting. Numbers are taken as their decimal text (`username = 1234` in TOML is what the
 * operator meant); booleans, arrays and tables are errors.
 */
export function coerceString(value: unknown, what: string): string {
  if (typeof value === 'string') return value
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') return String(value)
  throw expected(what, 'a string', value)
}

/**
 * One of a fixed set of words, matched case-insensitively after trimming; `aliases` maps extra
 * accepted words to a choice. The error lists only the canonical choices and aliases.
 */
export function coerceChoice<T extends string>(
  value: unknown,
  what: string,
  choices: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): T {
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase()
    const hit = choices.find((c) => c === word) ?? aliases[word]
    if (hit !== undefined) return hit
  }
  throw expected(what, listChoices([...choices, ...Object.keys(aliases)]), value)
}
