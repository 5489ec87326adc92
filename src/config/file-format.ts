import { TomlError, parse as parseToml, stringify as stringifyToml } from 'smol-toml'
import { toGoShape } from '../agent/go-schema.js'
import { ConfigError } from '../errors.js'
import { formatDuration } from './duration.js'
import { formatSize } from './size.js'
import type { Config } from './types.js'

/**
 * Parses the text of a config file: JSON when its first non-blank character is `{` (the Agent
 * accepts both forms), TOML otherwise.
 *
 * @throws ConfigError (EXP_CONFIG_INVALID) `<fileName>: line L, column C: <problem>` on a syntax error.
 */
export function parseConfigText(text: string, fileName: string): unknown {
  // Editors on gateways sometimes save a UTF-8 BOM; neither parser wants it.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  return body.trimStart().startsWith('{') ? parseJson(body, fileName) : parseTomlText(body, fileName)
}

function parseTomlText(text: string, fileName: string): unknown {
  try {
    return parseToml(text)
  } catch (err: unknown) {
    if (!(err instanceof TomlError)) throw err
    // smol-toml's message is "Invalid TOML document: <problem>\n\n<code excerpt>"; keep the problem.
    const problem = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '')
    // No `cause`: the parser's excerpt quotes the lines around the error, which may hold the
    // password, and causes are printed with the message (log, /health, POST /reload).
    throw new ConfigError(`${fileName}: line ${err.line}, column ${err.column}: ${problem}`)
  }
}

function parseJson(text: string, fileName: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (err: unknown) {
    if (!(err instanceof SyntaxError)) throw err
    const { line, column } = lineAndColumn(text, jsonErrorOffset(text, err.message))
    // V8 appends the offset and an excerpt of the input; the line and column replace both.
    const problem = err.message.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/, (\.\.\.)?".*$/s, '')
    throw new ConfigError(`${fileName}: line ${line}, column ${column}: ${problem}`) // no cause: see parseTomlText
  }
}

function jsonErrorOffset(text: string, message: string): number {
  const position = /at position (\d+)/.exec(message)?.[1]
  if (position !== undefined) return Number(position)
  // Node 20's V8 names an unexpected token without its offset. Every prefix before the bad token
  // fails only by ending early, every prefix that includes it fails otherwise: bisect for it.
  let low = 0
  let high = text.length
  while (low < high) {
    const mid = Math.floor((low + high) / 2)
    if (failsBeforeEnd(text.slice(0, mid + 1))) high = mid
    else low = mid + 1
  }
  return low
}

function failsBeforeEnd(prefix: string): boolean {
  try {
    JSON.parse(prefix)
    return false
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : ''
    const position = /at position (\d+)/.exec(message)?.[1]
    if (position !== undefined) return Number(position) < prefix.length
    return !/Unexpected end of JSON input/.test(message)
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

/**
 * The configuration as a config file object with the file's key names (`exp`, `mqtt`, `store`,
 * `routes`, snake_case keys; docs/configuration.md), durations and sizes as text (`"10s"`, `"1GiB"`). Reading it back
 * gives the same configuration. Secrets are included: mask with `maskSecrets` before showing it.
 */
export function toFileObject(config: Config): Record<string, unknown> {
  const { exp, mqtt, store } = config
  return {
    exp: {
      nats: exp.natsUrls.join(','),
      port: exp.port,
      http_host: exp.httpHost,
      http_token: exp.httpToken,
      log_level: exp.logLevel,
      heartbeat_interval: formatDuration(exp.heartbeatIntervalMs),
    },
    mqtt: {
      url: mqtt.url,
      username: mqtt.username,
      password: mqtt.password,
      client_id: mqtt.clientId,
      qos: mqtt.qos,
      retain: mqtt.retain,
      mtls: mqtt.mtls,
      ca_path: mqtt.caPath,
      client_cert_path: mqtt.clientCertPath,
      client_priv_key_path: mqtt.clientKeyPath,
      client_cert: mqtt.clientCert,
      client_cert_key: mqtt.clientKey,
      skip_tls_ver: mqtt.skipTlsVerify,
      protocol_version: mqtt.protocolVersion,
      keep_alive: formatDuration(mqtt.keepAliveMs),
      max_inflight: mqtt.maxInflight,
      max_message_bytes: formatSize(mqtt.maxMessageBytes),
    },
    store: {
      type: store.type,
      path: store.path,
      max_bytes: formatSize(store.maxBytes),
      overflow: store.overflow,
      max_age: formatDuration(store.maxAgeMs),
    },
    routes: config.routes.map((r) => ({
      nats_topic: r.natsTopic,
      mqtt_topic: r.mqttTopic,
      subtopic: r.subtopic,
      type: r.type,
      workers: r.workers,
      source: r.source,
      stream: r.stream,
      durable: r.durable,
      priority: r.priority,
    })),
  }
}

/**
 * The configuration in the Go service's shape: only the keys the Mainflux Agent keeps when it
 * rewrites a file (src/agent/go-schema.ts), with the broker under `host`. Keys that are new here are
 * left out, so that they keep coming from their environment variables and defaults, as after an
 * Agent rewrite.
 */
export function toGoFileObject(config: Config): Record<string, unknown> {
  return toGoShape(toFileObject(config))
}

/** The configuration as TOML text (see {@link toFileObject}). */
export function stringifyConfigToml(config: Config): string {
  return `${stringifyToml(toFileObject(config)).trimEnd()}\n`
}

/** The configuration as indented JSON text (see {@link toFileObject}). */
export function stringifyConfigJson(config: Config): string {
  return `${JSON.stringify(toFileObject(config), null, 2)}\n`
}
