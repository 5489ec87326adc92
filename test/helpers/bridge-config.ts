import { stringify } from 'smol-toml'

/** A route of {@link bridgeConfigToml}; keys as in the config file. */
export interface TestRoute {
  nats_topic: string
  mqtt_topic: string
  subtopic?: string
  type?: 'default' | 'mfx' | 'plain'
  workers?: number
  source?: 'core' | 'jetstream'
  stream?: string
  durable?: string
  priority?: number
}

export interface BridgeConfigOptions {
  natsUrl: string
  mqttUrl: string
  httpPort: number
  qos?: 0 | 1 | 2
  username?: string
  password?: string
  clientId?: string
  keepAlive?: string
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
  heartbeatInterval?: string
  routes?: TestRoute[]
  /** Extra `[exp]` keys (`http_host`, `http_token`…). */
  exp?: Record<string, unknown>
  /** Extra `[mqtt]` keys (TLS settings and the like). */
  mqtt?: Record<string, unknown>
  /** A `[store]` table; default none (the environment and defaults apply). */
  store?: Record<string, unknown>
}

/** A config file (TOML) for the service under test, in the shape operators write. */
export function bridgeConfigToml(o: BridgeConfigOptions): string {
  const mqtt: Record<string, unknown> = {
    url: o.mqttUrl,
    qos: o.qos ?? 1,
    client_id: o.clientId ?? `export-test-${process.pid}-${o.httpPort}`,
    keep_alive: o.keepAlive ?? '30s',
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...o.mqtt,
  }
  const doc: Record<string, unknown> = {
    exp: { nats: o.natsUrl, port: o.httpPort, log_level: o.logLevel ?? 'info', heartbeat_interval: o.heartbeatInterval ?? '10s', ...o.exp },
    mqtt,
    routes: o.routes ?? [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages', type: 'default', workers: 10 }],
  }
  if (o.store) doc.store = o.store
  return stringify(doc)
}
