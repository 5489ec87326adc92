import type { Issues, ValueParser } from './issues.js'

/**
 * Reads the environment variables that stand in for the new keys a file leaves out (the Agent
 * drops those keys when it rewrites the file; docs/configuration.md, "Where the configuration
 * comes from"). A bad value is reported once, naming the variable and not the file, and only if
 * some key actually falls back to it.
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
