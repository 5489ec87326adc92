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
