import { stringify } from 'smol-toml'
import { UsageError } from '../errors.js'

/**
 * The Mainflux Agent does not save the text it is sent: it unmarshals it into the Go service's
 * config structure (go-toml) and writes that back. go-toml refuses a value of the wrong type
 * (`port = 8170` for a string field) and the Agent then saves nothing and answers nothing; keys it
 * does not know are dropped, aliases included (`url` ends up as an empty `host`). So the file sent
 * through the Agent is rewritten first: aliases under the Go names, values in the Go types.
 */

/** Go field types of the structure the Agent unmarshals into. */
const GO_TYPES: Record<string, Record<string, 'string' | 'bool' | 'int'>> = {
  exp: { nats: 'string', log_level: 'string', port: 'string', cache_url: 'string', cache_pass: 'string', cache_db: 'string' },
  mqtt: {
    host: 'string',
    username: 'string',
    password: 'string',
    mtls: 'bool',
    skip_tls_ver: 'bool',
    retain: 'bool',
    qos: 'int',
    ca_path: 'string',
    client_cert_path: 'string',
    client_priv_key_path: 'string',
    client_cert: 'string',
    client_cert_key: 'string',
  },
  routes: { mqtt_topic: 'string', nats_topic: 'string', subtopic: 'string', type: 'string', workers: 'int' },
}

/** Our aliases → the Go service's key. */
const ALIASES: Record<string, Record<string, string>> = {
  exp: { broker_url: 'nats' },
  mqtt: { url: 'host', cert_path: 'client_cert_path', priv_key: 'client_priv_key_path', priv_key_path: 'client_priv_key_path', client_cert_key_path: 'client_priv_key_path' },
  routes: {},
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function toGoType(value: unknown, type: 'string' | 'bool' | 'int'): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value
    case 'bool':
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true'
      return value
    case 'int':
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim())
      return value
  }
}

/** Renames aliases and converts types in one table; notes say what changed. */
function normalizeTable(section: string, table: Record<string, unknown>, where: string, notes: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const aliases = ALIASES[section] ?? {}
  const types = GO_TYPES[section] ?? {}
  for (const [key, value] of Object.entries(table)) {
    const target = aliases[key]
    const name = target !== undefined && (table[target] === undefined || table[target] === '') ? target : key
    if (name !== key) notes.push(`${where} ${key} written as ${name}, the key the Agent knows`)
    const type = types[name]
    const converted = type === undefined ? value : toGoType(value, type)
    if (converted !== value) notes.push(`${where} ${name} written as ${type === 'string' ? 'a string' : type === 'bool' ? 'a boolean' : 'a number'}, the type the Agent expects`)
    if (name !== key && out[name] !== undefined) continue
    out[name] = converted
  }
  return out
}

/**
 * The path the Agent is told to save the file at, checked: the Agent removes every space of its
 * command and splits it on commas, so a path with either (or an empty one) would arrive mangled, or
 * as a different path, on the gateway. `source` names where the path came from, for the message.
 *
 * @throws UsageError naming the source and the character at fault.
 */
export function checkAgentPath(path: string, source: string): string {
  const where = `the target path ${JSON.stringify(path)} (from ${source})`
  if (path.trim() === '') throw new UsageError(`${where} is empty: the Agent needs the path to save the file at`)
  if (/\s/.test(path)) throw new UsageError(`${where} contains spaces: the Agent removes every space of its command; use a path without spaces or commas`)
  if (path.includes(',')) throw new UsageError(`${where} contains a comma: the Agent splits its command on commas; use a path without spaces or commas`)
  return path
}

/** The file as the Agent can take it, and notes on what was rewritten. */
export function agentReadyToml(raw: unknown): { text: string; notes: string[] } {
  const notes: string[] = []
  const doc: Record<string, unknown> = {}
  if (isRecord(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'File' || key === 'file') continue // the Agent sets it to the path of the command
      if (key === 'routes' && Array.isArray(value)) {
        doc.routes = value.map((route: unknown, i) => (isRecord(route) ? normalizeTable('routes', route, `routes[${i}]`, notes) : route))
      } else if (isRecord(value) && (key === 'exp' || key === 'mqtt')) {
        doc[key] = normalizeTable(key, value, `[${key}]`, notes)
      } else {
        doc[key] = value
      }
    }
  }
  return { text: `${stringify(doc).trimEnd()}\n`, notes }
}
