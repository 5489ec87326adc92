import { coerceBoolean, coerceInteger, coerceString, describeValue } from './coerce.js'
import { parseLogLevel, parseMaxInflight, parseOverflow, parseProtocolVersion, parseQos, parseStoreKind } from './choices.js'
import { CONFIG_DEFAULTS as D, CONFIG_LIMITS, defaultClientId } from './defaults.js'
import { formatDuration, parseDuration } from './duration.js'
import type { Issues, ValueParser } from './issues.js'
import { isTable } from './issues.js'
import type { NewKeyEnv } from './new-key-env.js'
import { TableReader } from './table-reader.js'
import { parseHttpHost, parseHttpToken } from './http-keys.js'
import { parseSize } from './size.js'
import type { ExpConfig, MqttConfig, StoreConfig } from './types.js'
import { parseMqttUrl, parseNatsUrls } from './urls.js'

const EXP_KEYS = new Set(['nats', 'broker_url', 'port', 'http_host', 'http_token', 'log_level', 'heartbeat_interval', 'cache_url', 'cache_pass', 'cache_db'])
const LEGACY_CACHE_KEYS = ['cache_url', 'cache_pass', 'cache_db'] as const
const MQTT_KEYS = new Set([
  'url',
  'host',
  'username',
  'password',
  'client_id',
  'qos',
  'retain',
  'mtls',
  'ca_path',
  'client_cert_path',
  'cert_path',
  'client_priv_key_path',
  'priv_key',
  'priv_key_path',
  'client_cert_key_path',
  'client_cert',
  'client_cert_key',
  'skip_tls_ver',
  'protocol_version',
  'keep_alive',
  'max_inflight',
  'max_message_bytes',
])
const STORE_KEYS = new Set(['type', 'path', 'max_bytes', 'overflow', 'max_age'])

/** Opens `[name]` of the raw file for reading; a section that is not a table is an error. */
export function sectionReader(issues: Issues, raw: Record<string, unknown>, name: string, known: ReadonlySet<string>): TableReader {
  const value = raw[name]
  let table: Record<string, unknown> = {}
  if (isTable(value)) table = value
  else if (value !== undefined && value !== null) issues.error(`[${name}]: expected a table, found ${describeValue(value)}`)
  const reader = new TableReader(issues, table, (key) => `[${name}] ${key}`)
  reader.warnUnknown(known)
  return reader
}

const text: ValueParser<string> = (v, what) => coerceString(v, what)
const trimmed: ValueParser<string> = (v, what) => coerceString(v, what).trim()
const port: ValueParser<number> = (v, what) => coerceInteger(v, what, { min: 0, max: CONFIG_LIMITS.portMax })

const positiveDuration: ValueParser<number> = (v, what) => {
  const ms = parseDuration(v, what)
  if (ms <= 0) throw new Error(`${what} must be greater than 0`)
  return ms
}

const keepAlive: ValueParser<number> = (v, what) => {
  const ms = parseDuration(v, what)
  const { keepAliveMinMs: min, keepAliveMaxMs: max } = CONFIG_LIMITS
  if (ms < min || ms > max) {
    throw new Error(`${what} must be between ${formatDuration(min)} and ${formatDuration(max)}, found ${formatDuration(ms)}`)
  }
  return ms
}

const positiveSize: ValueParser<number> = (v, what) => {
  const bytes = parseSize(v, what)
  if (bytes <= 0) throw new Error(`${what} must be greater than 0`)
  return bytes
}

/** The smallest PUBLISH packet with a short topic and a few bytes: a limit below it refuses everything. */
const MIN_MESSAGE_BYTES = 64

/** `[mqtt] max_message_bytes`: 0 (none) or a size of at least {@link MIN_MESSAGE_BYTES}. */
const messageSize: ValueParser<number> = (v, what) => {
  const bytes = parseSize(v, what)
  if (bytes !== 0 && bytes < MIN_MESSAGE_BYTES) throw new Error(`${what} must be 0 (no limit) or at least ${MIN_MESSAGE_BYTES} bytes, found ${describeValue(v)}`)
  return bytes
}

/** `[exp]`: NATS, HTTP address and token, log level, heartbeat; the legacy Redis keys get one warning in all. */
export function readExp(issues: Issues, raw: Record<string, unknown>, env: NewKeyEnv): ExpConfig {
  const exp = sectionReader(issues, raw, 'exp', EXP_KEYS)
  const legacy = LEGACY_CACHE_KEYS.filter((key) => exp.has(key))
  if (legacy.length > 0) issues.warn(`[exp] ${legacy.join(', ')}: legacy Redis cache settings are ignored`)
  return {
    natsUrls: exp.read(['nats', 'broker_url'], parseNatsUrls, [D.natsUrl]),
    port: exp.read('port', port, D.port),
    httpHost: exp.read('http_host', parseHttpHost, D.httpHost, () => env.get('[exp] http_host', parseHttpHost)),
    httpToken: exp.read('http_token', parseHttpToken, D.httpToken, () => env.get('[exp] http_token', parseHttpToken)),
    logLevel: exp.read('log_level', parseLogLevel, D.logLevel),
    heartbeatIntervalMs: exp.read('heartbeat_interval', positiveDuration, D.heartbeatIntervalMs, () =>
      env.get('[exp] heartbeat_interval', positiveDuration),
    ),
  }
}

/** `[mqtt]`: the cloud broker, with the Go service's key aliases. */
export function readMqtt(issues: Issues, raw: Record<string, unknown>, env: NewKeyEnv): MqttConfig {
  const mqtt = sectionReader(issues, raw, 'mqtt', MQTT_KEYS)
  // The Agent writes `host = ""` when the file it was sent had the broker under `url` (a key its
  // Go structure does not have): say so instead of quietly using the default broker.
  if ((mqtt.has('url') || mqtt.has('host')) && mqtt.given('url') === undefined && mqtt.given('host') === undefined) {
    issues.warn(`[mqtt] host is empty: using ${D.mqttUrl} (a file sent through the Agent must name the broker under host)`)
  }
  const username = mqtt.read('username', text, '')
  const config: MqttConfig = {
    url: mqtt.read(['url', 'host'], parseMqttUrl, D.mqttUrl),
    username,
    password: mqtt.read('password', text, ''),
    clientId: mqtt.read('client_id', trimmed, defaultClientId(username), () => env.get('[mqtt] client_id', trimmed)),
    qos: mqtt.read('qos', parseQos, D.qos),
    retain: mqtt.read('retain', coerceBoolean, false),
    mtls: mqtt.read('mtls', coerceBoolean, false),
    caPath: mqtt.read('ca_path', trimmed, ''),
    clientCertPath: mqtt.read(['client_cert_path', 'cert_path'], trimmed, ''),
    clientKeyPath: mqtt.read(['client_priv_key_path', 'priv_key', 'priv_key_path', 'client_cert_key_path'], trimmed, ''),
    clientCert: mqtt.read('client_cert', text, ''),
    clientKey: mqtt.read('client_cert_key', text, ''),
    skipTlsVerify: mqtt.read('skip_tls_ver', coerceBoolean, false),
    protocolVersion: mqtt.read('protocol_version', parseProtocolVersion, D.protocolVersion, () =>
      env.get('[mqtt] protocol_version', parseProtocolVersion),
    ),
    keepAliveMs: mqtt.read('keep_alive', keepAlive, D.keepAliveMs, () => env.get('[mqtt] keep_alive', keepAlive)),
    maxInflight: mqtt.read('max_inflight', parseMaxInflight, D.maxInflight, () => env.get('[mqtt] max_inflight', parseMaxInflight)),
    maxMessageBytes: mqtt.read('max_message_bytes', messageSize, D.maxMessageBytes, () => env.get('[mqtt] max_message_bytes', messageSize)),
  }
  if (config.mtls) checkMtlsMaterial(issues, config)
  return config
}

// Certificates are loaded later (TLS errors name the file); here we only catch the missing ones,
// so that a gateway does not start and then fail every connection attempt.
function checkMtlsMaterial(issues: Issues, mqtt: MqttConfig): void {
  const hasCert = mqtt.clientCertPath !== '' || mqtt.clientCert.trim() !== ''
  const hasKey = mqtt.clientKeyPath !== '' || mqtt.clientKey.trim() !== ''
  const cert = 'a client certificate (client_cert_path or client_cert)'
  const key = 'a client key (client_priv_key_path or client_cert_key)'
  if (!hasCert && !hasKey) issues.error(`[mqtt] mtls is true but neither ${cert} nor ${key} is set`)
  else if (!hasCert) issues.error(`[mqtt] mtls is true but ${cert} is not set`)
  else if (!hasKey) issues.error(`[mqtt] mtls is true but ${key} is not set`)
}

/** `[store]` (new): every key falls back to its environment variable, then to the default. */
export function readStore(issues: Issues, raw: Record<string, unknown>, env: NewKeyEnv): StoreConfig {
  const store = sectionReader(issues, raw, 'store', STORE_KEYS)
  const maxAge: ValueParser<number> = parseDuration
  return {
    type: store.read('type', parseStoreKind, D.storeType, () => env.get('[store] type', parseStoreKind)),
    path: store.read('path', trimmed, D.storePath, () => env.get('[store] path', trimmed)),
    maxBytes: store.read('max_bytes', positiveSize, D.storeMaxBytes, () => env.get('[store] max_bytes', positiveSize)),
    overflow: store.read('overflow', parseOverflow, D.overflow, () => env.get('[store] overflow', parseOverflow)),
    maxAgeMs: store.read('max_age', maxAge, D.maxAgeMs, () => env.get('[store] max_age', maxAge)),
  }
}

/** Value parsers shared with the reader of the Go service's environment (env.ts), which names variables instead of keys. */
export const sharedParsers = { text, trimmed, port, positiveDuration, keepAlive, positiveSize } as const
