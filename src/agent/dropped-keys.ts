import { GO_ALIASES, GO_TOP_LEVEL, isGoKey, isGoSection, isRecord, ownEntry } from './go-schema.js'

/** Key paths in a parsed config file that the Agent will drop, e.g. `[mqtt] url`, `routes[0].priority`. */
export function keysDroppedByAgent(raw: unknown): string[] {
  if (!isRecord(raw)) return []
  const dropped: string[] = []
  for (const [key, value] of Object.entries(raw)) {
    if (!GO_TOP_LEVEL.has(key)) {
      dropped.push(isRecord(value) ? `[${key}]` : key)
      continue
    }
    if (key === 'routes' && Array.isArray(value)) {
      value.forEach((route: unknown, i) => {
        if (isRecord(route)) for (const k of Object.keys(route)) if (!isGoKey('routes', k)) dropped.push(`routes[${i}].${k}`)
      })
    } else if (isRecord(value) && isGoSection(key)) {
      for (const k of Object.keys(value)) if (!isGoKey(key, k)) dropped.push(`[${key}] ${k}`)
    }
  }
  return dropped
}

/**
 * The variables that stand in for the keys the Agent drops (docs/configuration.md, "Keys the
 * Mainflux Agent keeps"), for the hint; `[store]` has one per key.
 */
const SECTION_VARIABLES: Readonly<Record<string, string>> = {
  '[mqtt] client_id': 'MF_EXPORT_MQTT_CLIENT_ID',
  '[mqtt] keep_alive': 'MF_EXPORT_MQTT_KEEP_ALIVE',
  '[mqtt] protocol_version': 'MF_EXPORT_MQTT_PROTOCOL_VERSION',
  '[mqtt] max_inflight': 'MF_EXPORT_MQTT_MAX_INFLIGHT',
  '[mqtt] max_message_bytes': 'MF_EXPORT_MQTT_MAX_MESSAGE_BYTES',
  '[exp] heartbeat_interval': 'MF_EXPORT_HEARTBEAT_INTERVAL',
  '[exp] http_host': 'MF_EXPORT_HTTP_HOST',
  '[exp] http_token': 'MF_EXPORT_HTTP_TOKEN',
  '[store]': 'MF_EXPORT_STORE_*',
}
const ROUTE_VARIABLES: Readonly<Record<string, string>> = { source: 'MF_EXPORT_ROUTE_SOURCE', priority: 'MF_EXPORT_ROUTE_PRIORITY' }

/** A hint for a dropped key that has a surviving spelling (an alias) or an environment variable. */
export function agentHint(keyPath: string): string | undefined {
  const [, section = '', key = ''] = /^\[(\w+)\] (\w+)$/.exec(keyPath) ?? []
  const goKey = isGoSection(section) ? ownEntry(GO_ALIASES[section], key) : undefined
  if (goKey !== undefined) return `write it as \`${goKey}\``
  const [, routeKey = ''] = /^routes\[\d+\]\.(\w+)$/.exec(keyPath) ?? []
  const variable = ownEntry(ROUTE_VARIABLES, routeKey) ?? ownEntry(SECTION_VARIABLES, keyPath)
  return variable === undefined ? undefined : `set ${variable} on the gateway`
}
