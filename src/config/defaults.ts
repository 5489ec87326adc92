import { hostname } from 'node:os'

/**
 * The defaults of docs/configuration.md. The new keys' defaults must be right for a gateway on
 * their own, because the Agent drops those keys whenever it rewrites the file (docs/configuration.md,
 * "Keys the Mainflux Agent keeps").
 */
export const CONFIG_DEFAULTS = {
  natsUrl: 'nats://localhost:4222',
  port: 8170,
  /** Every interface: container port mapping and the LAN (Prometheus, the operator) keep working. */
  httpHost: '',
  httpToken: '',
  logLevel: 'info',
  heartbeatIntervalMs: 10_000,
  mqttUrl: 'tcp://localhost:1883',
  qos: 0,
  protocolVersion: 4,
  keepAliveMs: 30_000,
  maxInflight: 'auto',
  /** None: MQTT 5 brokers say theirs at connect. */
  maxMessageBytes: 0,
  storeType: 'file',
  storePath: './export-store',
  storeMaxBytes: 1024 ** 3,
  overflow: 'drop_oldest',
  maxAgeMs: 0,
  routeType: 'default',
  workers: 10,
  routeSource: 'core',
  stream: 'EXPORT',
  priority: 0,
} as const

/** Bounds checked on top of the value's form. */
export const CONFIG_LIMITS = {
  /** MQTT carries keep-alive as whole seconds in 16 bits. */
  keepAliveMinMs: 1000,
  keepAliveMaxMs: 65_535_000,
  priorityMax: 9,
  /** MQTT packet identifiers are 16 bits, 0 excluded: no more can be unacknowledged at once. */
  maxInflightMax: 65_535,
  portMax: 65_535,
  /** MQTT packet ids are 16 bits: no more QoS 1/2 messages can be unacknowledged at once. */
  workersMax: 65_535,
} as const

/**
 * `export-<username>`; with no username, `export-<host name>` so that two anonymous gateways on
 * one broker do not kick each other off with the same client id.
 */
export function defaultClientId(username: string): string {
  return `export-${username === '' ? hostname() : username}`
}
