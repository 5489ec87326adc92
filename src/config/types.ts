/** The effective, validated configuration. Durations are in ms, sizes in bytes. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type Qos = 0 | 1 | 2
export type StoreKind = 'file' | 'memory'
export type OverflowPolicy = 'drop_oldest' | 'drop_newest'
export type RouteType = 'default' | 'mfx'
export type RouteSource = 'core' | 'jetstream'

export interface ExpConfig {
  /** NATS server URLs, normalised to `nats://host:port` (a cluster gives several). */
  natsUrls: string[]
  port: number
  /** Address the HTTP server listens on; empty: every interface (as the Go service). */
  httpHost: string
  /** When set, state-changing HTTP requests need `Authorization: Bearer <token>`. A secret. */
  httpToken: string
  logLevel: LogLevel
  heartbeatIntervalMs: number
}

export interface MqttConfig {
  /** Broker URL as written (scheme kept, e.g. `tcp://host:1883`). */
  url: string
  username: string
  password: string
  clientId: string
  qos: Qos
  retain: boolean
  mtls: boolean
  caPath: string
  clientCertPath: string
  clientKeyPath: string
  /** Inline PEM, used when no file path is given. */
  clientCert: string
  clientKey: string
  skipTlsVerify: boolean
  protocolVersion: 4 | 5
  keepAliveMs: number
  /**
   * Unacknowledged QoS 1/2 publishes on the connection, all routes together: `auto` (grown from
   * what the link carries, capped by the broker's Receive Maximum) or a fixed number.
   */
  maxInflight: number | 'auto'
  /**
   * Biggest PUBLISH packet the broker takes, in bytes (0: not known), for MQTT 3.1.1 brokers that
   * cannot say theirs; an MQTT 5 broker's CONNACK Maximum Packet Size applies too. Bigger messages
   * are refused before they are queued.
   */
  maxMessageBytes: number
}

/** The bounds of the store (`[store] max_bytes`, `overflow`, `max_age`), as both stores take them. */
export interface StoreLimits {
  maxBytes: number
  overflow: OverflowPolicy
  /** 0 means no limit. */
  maxAgeMs: number
}

export interface StoreConfig extends StoreLimits {
  type: StoreKind
  path: string
}

export interface RouteConfig {
  natsTopic: string
  mqttTopic: string
  subtopic: string
  type: RouteType
  workers: number
  source: RouteSource
  stream: string
  durable: string
  priority: number
}

export interface Config {
  exp: ExpConfig
  mqtt: MqttConfig
  store: StoreConfig
  routes: RouteConfig[]
}
