import { coerceString, describeValue, expected, listChoices } from './coerce.js'

/** Broker URL schemes accepted in `[mqtt] url` (docs/configuration.md), as the Go service's paho client knew them. */
export const MQTT_SCHEMES = ['tcp', 'mqtt', 'ssl', 'tls', 'tcps', 'mqtts', 'ws', 'wss'] as const

/** Schemes the Node NATS transport can dial. */
const NATS_SCHEMES = ['nats', 'tls'] as const

const DEFAULT_NATS_PORT = 4222
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i

/**
 * Parses `[exp] nats`: one URL or a comma-separated cluster list (a JSON array of strings also
 * works). Each entry may omit the scheme (`host:port`, as the seed documentation writes it) and
 * the port; entries come back as `nats://host:port` (or `tls://…`), credentials kept.
 */
export function parseNatsUrls(value: unknown, what: string): string[] {
  const entries = Array.isArray(value)
    ? value.map((v) => coerceString(v, what))
    : coerceString(value, what).split(',')
  // A trailing comma in a hand-edited cluster list is harmless, so empty entries are skipped.
  const urls = entries.map((e) => e.trim()).filter((e) => e !== '')
  if (urls.length === 0) throw expected(what, 'a NATS URL such as "nats://localhost:4222"', value)
  return urls.map((url) => normaliseNatsUrl(url, what))
}

function normaliseNatsUrl(text: string, what: string): string {
  const withScheme = SCHEME.test(text) ? text : `nats://${text}`
  const scheme = (SCHEME.exec(withScheme)?.[1] ?? '').toLowerCase()
  if (!(NATS_SCHEMES as readonly string[]).includes(scheme)) {
    throw new Error(`${what}: unsupported scheme "${scheme}://" in ${JSON.stringify(text)}, expected nats:// or tls://`)
  }
  const url = parseUrl(withScheme)
  if (url === undefined || url.hostname === '') {
    throw expected(what, 'a NATS URL such as "nats://localhost:4222" or "host:4222"', text)
  }
  const auth = url.username === '' ? '' : `${url.username}${url.password === '' ? '' : `:${url.password}`}@`
  const port = url.port === '' ? DEFAULT_NATS_PORT : Number(url.port)
  return `${scheme}://${auth}${url.hostname}:${port}`
}

/**
 * Parses `[mqtt] url`: the scheme must be one of {@link MQTT_SCHEMES} and a host is required. The
 * URL is returned as written (trimmed), except that a bare `host:port` gets `tcp://` in front, as
 * an operator who leaves the scheme out means plain MQTT.
 */
export function parseMqttUrl(value: unknown, what: string): string {
  const text = coerceString(value, what).trim()
  const example = 'a broker URL such as "tcp://localhost:1883"'
  if (text === '') throw expected(what, example, value)
  const withScheme = SCHEME.test(text) ? text : `tcp://${text}`
  const scheme = (SCHEME.exec(withScheme)?.[1] ?? '').toLowerCase()
  if (!(MQTT_SCHEMES as readonly string[]).includes(scheme)) {
    throw new Error(
      `${what}: unsupported scheme "${scheme}://" in ${describeValue(text)}, expected ${listChoices(
        MQTT_SCHEMES.map((s) => `${s}://`),
        false,
      )}`,
    )
  }
  const url = parseUrl(withScheme)
  if (url === undefined || url.hostname === '') throw expected(what, example, text)
  return withScheme
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    // Not a URL at all: the caller reports it with the setting's name.
    return undefined
  }
}
