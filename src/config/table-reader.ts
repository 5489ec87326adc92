import { describeValue } from './coerce.js'
import type { Issues, ValueParser } from './issues.js'

/**
 * One table of the file (`[mqtt]`, a route): typed reads with defaults, aliases, and a warning for
 * each key nobody read.
 */
export class TableReader {
  readonly #issues: Issues
  readonly #table: Readonly<Record<string, unknown>>
  readonly #name: (key: string) => string

  /** @param name how a key of this table is named in messages, e.g. `[mqtt] qos`. */
  constructor(issues: Issues, table: Readonly<Record<string, unknown>>, name: (key: string) => string) {
    this.#issues = issues
    this.#table = table
    this.#name = name
  }

  /** Names a key of this table for a message. */
  name(key: string): string {
    return this.#name(key)
  }

  /**
   * The raw value of a key, or `undefined` when it is absent, `null`, or a blank string. Go's
   * encoder writes every struct field, so `ca_path = ""` means "not set", not "set to nothing".
   */
  given(key: string): unknown {
    if (!Object.hasOwn(this.#table, key)) return undefined
    const value = this.#table[key]
    if (value === null || (typeof value === 'string' && value.trim() === '')) return undefined
    return value
  }

  /** Whether the table has the key at all, even blank. */
  has(key: string): boolean {
    return Object.hasOwn(this.#table, key)
  }

  /**
   * Parses a key when given; otherwise `fallback()` (the key's environment variable or a derived default),
   * else `dflt`. On a parse error `dflt` stands in: the configuration is rejected anyway.
   */
  read<T>(key: string | readonly string[], parse: ValueParser<T>, dflt: T, fallback?: () => T | undefined): T {
    const chosen = this.#pick(typeof key === 'string' ? [key] : key)
    if (chosen === undefined) return fallback?.() ?? dflt
    return this.#issues.attempt(() => parse(chosen.value, this.#name(chosen.key))) ?? dflt
  }

  /** Like {@link read} for a key with no default: `undefined` when absent or invalid. */
  readOptional<T>(key: string, parse: ValueParser<T>): T | undefined {
    const value = this.given(key)
    if (value === undefined) return undefined
    return this.#issues.attempt(() => parse(value, this.#name(key)))
  }

  /**
   * First given key of an alias list wins; an alias that holds a different value is a warning,
   * since one of the two is not what the operator thinks is in force.
   */
  #pick(keys: readonly string[]): { key: string; value: unknown } | undefined {
    const given = keys.map((key) => ({ key, value: this.given(key) })).filter((g) => g.value !== undefined)
    const [first, ...others] = given
    if (first === undefined) return undefined
    for (const other of others) {
      if (!sameValue(other.value, first.value)) {
        this.#issues.warn(
          `${this.#name(other.key)} ${describeValue(other.value)} differs from ${first.key} ${describeValue(first.value)}; using ${first.key}`,
        )
      }
    }
    return first
  }

  /** One warning per key that is not in `known`, with a hint when only the case is wrong. */
  warnUnknown(known: ReadonlySet<string>, what = 'key'): void {
    for (const key of Object.keys(this.#table)) {
      if (known.has(key)) continue
      const hint = known.has(key.toLowerCase()) ? ` (keys are lower case: did you mean "${key.toLowerCase()}"?)` : ''
      this.#issues.warn(`${this.#name(key)}: unknown ${what} ignored${hint}`)
    }
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : String(v))
  return text(a) === text(b)
}
