import type { Issues, ValueParser } from './issues.js'

/**
 * The environment variable of each new key, written once: it stands in for the key when a file
 * leaves it out, because the Agent drops these keys whenever it rewrites the file
 * (docs/configuration.md). `config agent-command` names them in its warnings.
 */
export const NEW_KEY_VARIABLES = {
  '[exp] http_host': 'MF_EXPORT_HTTP_HOST',
  '[exp] http_token': 'MF_EXPORT_HTTP_TOKEN',
  '[exp] heartbeat_interval': 'MF_EXPORT_HEARTBEAT_INTERVAL',
  '[mqtt] client_id': 'MF_EXPORT_MQTT_CLIENT_ID',
  '[mqtt] protocol_version': 'MF_EXPORT_MQTT_PROTOCOL_VERSION',
  '[mqtt] keep_alive': 'MF_EXPORT_MQTT_KEEP_ALIVE',
  '[mqtt] max_inflight': 'MF_EXPORT_MQTT_MAX_INFLIGHT',
  '[mqtt] max_message_bytes': 'MF_EXPORT_MQTT_MAX_MESSAGE_BYTES',
  '[store] type': 'MF_EXPORT_STORE_TYPE',
  '[store] path': 'MF_EXPORT_STORE_PATH',
  '[store] max_bytes': 'MF_EXPORT_STORE_MAX_BYTES',
  '[store] overflow': 'MF_EXPORT_STORE_OVERFLOW',
  '[store] max_age': 'MF_EXPORT_STORE_MAX_AGE',
  'routes[].source': 'MF_EXPORT_ROUTE_SOURCE',
  'routes[].priority': 'MF_EXPORT_ROUTE_PRIORITY',
} as const satisfies Record<string, string>

/** A new key, as `[section] key` or `routes[].key`. */
export type NewKey = keyof typeof NEW_KEY_VARIABLES

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

  /** The parsed value of the key's variable; `undefined` when it is unset, blank, or invalid (then reported). */
  get<T>(key: NewKey, parse: ValueParser<T>): T | undefined {
    const name = NEW_KEY_VARIABLES[key]
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
