import { describeValue } from './coerce.js'

/** A value parser of the shared convention (see `coerce.ts`). */
export type ValueParser<T> = (value: unknown, what: string) => T

/**
 * Errors and warnings gathered while reading one configuration source. Every problem is collected
 * so that the operator fixes the file in one pass, not one restart per mistake.
 */
export class Issues {
  readonly errors: string[] = []
  readonly warnings: string[] = []

  constructor(readonly fileName: string) {}

  /** A problem in the file: the message is prefixed with the file name. */
  error(message: string): void {
    this.errors.push(`${this.fileName}: ${message}`)
  }

  /** Something accepted but worth telling the operator once; prefixed like {@link error}. */
  warn(message: string): void {
    this.warnings.push(`${this.fileName}: ${message}`)
  }

  /** Runs a parser on a value from the file; a failure is recorded and gives `undefined`. */
  attempt<T>(parse: () => T): T | undefined {
    try {
      return parse()
    } catch (err: unknown) {
      this.error(err instanceof Error ? err.message : String(err))
      return undefined
    }
  }
}

/** Whether a raw value is a TOML table / JSON object (not an array, not a date). */
export function isTable(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return typeof (value as { toISOString?: unknown }).toISOString !== 'function'
}

/**
 * Reads the section-7 environment variables, which stand in for new keys the file leaves out (the
 * Agent drops those keys when it rewrites the file). A bad value is reported once, naming the
 * variable and not the file, and only if some key actually falls back to it.
 */
export class NewKeyEnv {
  readonly #env: NodeJS.ProcessEnv
  readonly #issues: Issues
  readonly #reported = new Set<string>()

  constructor(env: NodeJS.ProcessEnv, issues: Issues) {
    this.#env = env
    this.#issues = issues
  }

  /** The variable's parsed value; `undefined` when it is unset, blank, or invalid (then reported). */
  get<T>(name: string, parse: ValueParser<T>): T | undefined {
    const text = this.#env[name]
    // Blank counts as unset, as in the Go service (compose files pass `VAR: ${VAR}` through empty).
    if (text === undefined || text.trim() === '') return undefined
    try {
      return parse(text, name)
    } catch (err: unknown) {
      if (!this.#reported.has(name)) this.#issues.errors.push(err instanceof Error ? err.message : String(err))
      this.#reported.add(name)
      return undefined
    }
  }
}

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
   * Parses a key when given; otherwise `fallback()` (a section-7 variable or a derived default),
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
