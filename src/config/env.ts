import { ConfigError } from '../errors.js'
import { coerceBoolean } from './coerce.js'
import { parseLogLevel, parseQos, parseStoreKind } from './choices.js'
import { CONFIG_DEFAULTS as D } from './defaults.js'
import type { ValueParser } from './issues.js'
import { checkSubtopic } from './names.js'
import { NEW_KEY_VARIABLES } from './new-key-env.js'
import type { ParsedConfig } from './parse.js'
import { configFromRaw } from './parse.js'
import { sharedParsers } from './parse-sections.js'
import { parseMqttUrl, parseNatsUrls } from './urls.js'

/** Go's `mainflux.Env`: a variable that is unset or blank takes its default. */
function envText(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value
}

// The channel id becomes one topic level: no wildcards, no '/'.
const channelId: ValueParser<string> = (v, what) => {
  const id = checkSubtopic(sharedParsers.trimmed(v, what), what)
  if (id.includes('/')) throw new Error(`${what} must not contain '/'`)
  return id
}

/**
 * Builds the raw configuration the Go service built from its environment (docs/configuration.md, "Environment without a config file"): `[exp]`,
 * `[mqtt]`, `[store]` when its variables are set, and one route `export` →
 * `channels/<MF_EXPORT_MQTT_CHANNEL>/messages`. Values are validated as they are read, so that a
 * problem names the variable.
 *
 * @throws ConfigError listing every bad variable (`MF_EXPORT_MQTT_QOS: expected 0, 1 or 2, found "high"`).
 */
export function rawConfigFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const errors: string[] = []
  function read<T>(name: string, parse: ValueParser<T>, dflt: T): T {
    const text = envText(env, name)
    if (text === undefined) return dflt
    try {
      return parse(text, name)
    } catch (err: unknown) {
      errors.push(err instanceof Error ? err.message : String(err))
      return dflt
    }
  }
  function optional<T>(name: string, parse: ValueParser<T>): T | undefined {
    return envText(env, name) === undefined ? undefined : read<T | undefined>(name, parse, undefined)
  }

  // MF_NATS_URL is the current name; MF_BROKER_URL is what older deployments set.
  const natsVar = envText(env, 'MF_NATS_URL') !== undefined ? 'MF_NATS_URL' : 'MF_BROKER_URL'
  const mtls = read('MF_EXPORT_MQTT_MTLS', coerceBoolean, false)
  const channel = read('MF_EXPORT_MQTT_CHANNEL', channelId, '')
  const { trimmed, text, port, positiveSize } = sharedParsers
  // As in the Go service, the certificate file names (and their defaults) only matter with mTLS;
  // an explicitly set CA is kept, since a TLS broker URL verifies against it without mTLS too.
  const caPath = mtls ? read('MF_EXPORT_MQTT_CA', trimmed, 'ca.crt') : (optional('MF_EXPORT_MQTT_CA', trimmed) ?? '')

  const raw: Record<string, unknown> = {
    exp: {
      nats: read(natsVar, parseNatsUrls, [D.natsUrl]).join(','),
      log_level: read('MF_EXPORT_LOG_LEVEL', parseLogLevel, D.logLevel),
      port: read('MF_EXPORT_PORT', port, D.port),
    },
    mqtt: {
      url: read('MF_EXPORT_MQTT_HOST', parseMqttUrl, D.mqttUrl),
      username: read('MF_EXPORT_MQTT_USERNAME', text, ''),
      password: read('MF_EXPORT_MQTT_PASSWORD', text, ''),
      qos: read('MF_EXPORT_MQTT_QOS', parseQos, D.qos),
      retain: read('MF_EXPORT_MQTT_RETAIN', coerceBoolean, false),
      mtls,
      skip_tls_ver: read('MF_EXPORT_MQTT_SKIP_TLS', coerceBoolean, true),
      ca_path: caPath,
      client_cert_path: mtls ? read('MF_EXPORT_MQTT_CLIENT_CERT', trimmed, 'thing.crt') : '',
      client_priv_key_path: mtls ? read('MF_EXPORT_MQTT_CLIENT_PK', trimmed, 'thing.key') : '',
    },
    routes: [
      { nats_topic: 'export', mqtt_topic: `channels/${channel}/messages`, subtopic: '', type: D.routeType, workers: D.workers },
    ],
  }
  const store = {
    type: optional(NEW_KEY_VARIABLES['[store] type'], parseStoreKind),
    path: optional(NEW_KEY_VARIABLES['[store] path'], trimmed),
    max_bytes: optional(NEW_KEY_VARIABLES['[store] max_bytes'], positiveSize),
  }
  const storeSet = Object.fromEntries(Object.entries(store).filter(([, v]) => v !== undefined))
  if (Object.keys(storeSet).length > 0) raw['store'] = storeSet
  if (errors.length > 0) throw new ConfigError(errors.join('\n'))
  return raw
}

/**
 * The configuration when no config file exists: {@link rawConfigFromEnv}, then the same validation
 * and variables of the new keys as a file, under the name `environment`.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): ParsedConfig {
  const { config, warnings } = configFromRaw(rawConfigFromEnv(env), { fileName: 'environment', env })
  if (envText(env, 'MF_EXPORT_MQTT_CHANNEL') !== undefined) return { config, warnings }
  // The only route's topic comes from the channel, so the generic "does not look like
  // channels/<id>/messages" warning is better said with the variable's name.
  const channelWarning = 'environment: MF_EXPORT_MQTT_CHANNEL is not set: messages go to "channels//messages"'
  return { config, warnings: [channelWarning, ...warnings.filter((w) => !w.includes('does not look like'))] }
}
