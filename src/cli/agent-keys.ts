/**
 * Keys of the Go service's config structure: the only ones that survive the Agent's
 * parse-and-rewrite of a saved config (SPEC §7). Everything else in a file sent through the Agent
 * is dropped on the gateway.
 */
const AGENT_KEYS: Record<string, ReadonlySet<string>> = {
  exp: new Set(['nats', 'log_level', 'port', 'cache_url', 'cache_pass', 'cache_db']),
  mqtt: new Set(['host', 'username', 'password', 'mtls', 'skip_tls_ver', 'retain', 'qos', 'ca_path', 'client_cert_path', 'client_priv_key_path', 'client_cert', 'client_cert_key']),
  routes: new Set(['mqtt_topic', 'nats_topic', 'subtopic', 'type', 'workers']),
}
const AGENT_TOP_LEVEL = new Set(['exp', 'mqtt', 'routes', 'File', 'file'])

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Key paths in a parsed config file that the Agent will drop, e.g. `[mqtt] url`, `routes[0].priority`. */
export function keysDroppedByAgent(raw: unknown): string[] {
  if (!isRecord(raw)) return []
  const dropped: string[] = []
  for (const [key, value] of Object.entries(raw)) {
    if (!AGENT_TOP_LEVEL.has(key)) {
      dropped.push(isRecord(value) ? `[${key}]` : key)
      continue
    }
    if (key === 'routes' && Array.isArray(value)) {
      value.forEach((route: unknown, i) => {
        if (isRecord(route)) for (const k of Object.keys(route)) if (!AGENT_KEYS.routes!.has(k)) dropped.push(`routes[${i}].${k}`)
      })
    } else if (isRecord(value) && AGENT_KEYS[key]) {
      for (const k of Object.keys(value)) if (!AGENT_KEYS[key].has(k)) dropped.push(`[${key}] ${k}`)
    }
  }
  return dropped
}

/** A hint for a dropped key that has a surviving spelling or an environment variable. */
export function agentHint(keyPath: string): string | undefined {
  const hints: Record<string, string> = {
    '[mqtt] url': 'write it as `host`',
    '[mqtt] cert_path': 'write it as `client_cert_path`',
    '[mqtt] priv_key': 'write it as `client_priv_key_path`',
    '[mqtt] priv_key_path': 'write it as `client_priv_key_path`',
    '[mqtt] client_cert_key_path': 'write it as `client_priv_key_path`',
    '[exp] broker_url': 'write it as `nats`',
    '[mqtt] client_id': 'set MF_EXPORT_MQTT_CLIENT_ID on the gateway',
    '[mqtt] keep_alive': 'set MF_EXPORT_MQTT_KEEP_ALIVE on the gateway',
    '[mqtt] protocol_version': 'set MF_EXPORT_MQTT_PROTOCOL_VERSION on the gateway',
    '[mqtt] max_inflight': 'set MF_EXPORT_MQTT_MAX_INFLIGHT on the gateway',
    '[mqtt] max_message_bytes': 'set MF_EXPORT_MQTT_MAX_MESSAGE_BYTES on the gateway',
    '[exp] heartbeat_interval': 'set MF_EXPORT_HEARTBEAT_INTERVAL on the gateway',
    '[exp] http_host': 'set MF_EXPORT_HTTP_HOST on the gateway',
    '[exp] http_token': 'set MF_EXPORT_HTTP_TOKEN on the gateway',
    '[store]': 'set MF_EXPORT_STORE_* on the gateway',
  }
  if (hints[keyPath]) return hints[keyPath]
  if (/^routes\[\d+\]\.source$/.test(keyPath)) return 'set MF_EXPORT_ROUTE_SOURCE on the gateway'
  if (/^routes\[\d+\]\.priority$/.test(keyPath)) return 'set MF_EXPORT_ROUTE_PRIORITY on the gateway'
  return undefined
}
