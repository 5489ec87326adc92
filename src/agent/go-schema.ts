/**
 * The Go export service's config structure, as the Mainflux Agent knows it: the one description
 * of which keys survive the Agent's parse-and-rewrite of a saved file, in which Go types, and which
 * of our aliases stand for them (docs/compatibility.md, "Checked against the real Mainflux Agent").
 * Everything else the Agent drops.
 */

export type GoType = 'string' | 'bool' | 'int'
export type GoSection = 'exp' | 'mqtt' | 'routes'

/**
 * Each section's keys and their Go field types. go-toml refuses a value of the wrong type
 * (`port = 8170` for a string field), and the Agent then saves nothing and answers nothing.
 * Written in the order the service writes its environment-built file.
 */
export const GO_SCHEMA: Readonly<Record<GoSection, Readonly<Record<string, GoType>>>> = {
  exp: { nats: 'string', port: 'string', log_level: 'string', cache_url: 'string', cache_pass: 'string', cache_db: 'string' },
  mqtt: {
    host: 'string',
    username: 'string',
    password: 'string',
    qos: 'int',
    retain: 'bool',
    mtls: 'bool',
    skip_tls_ver: 'bool',
    ca_path: 'string',
    client_cert_path: 'string',
    client_priv_key_path: 'string',
    client_cert: 'string',
    client_cert_key: 'string',
  },
  routes: { nats_topic: 'string', mqtt_topic: 'string', subtopic: 'string', type: 'string', workers: 'int' },
}

/** Our aliases → the Go service's key (the Agent drops an alias: `url` ends up as an empty `host`). */
export const GO_ALIASES: Readonly<Record<GoSection, Readonly<Record<string, string>>>> = {
  exp: { broker_url: 'nats' },
  mqtt: { url: 'host', cert_path: 'client_cert_path', priv_key: 'client_priv_key_path', priv_key_path: 'client_priv_key_path', client_cert_key_path: 'client_priv_key_path' },
  routes: {},
}

/** Top-level keys the Agent keeps: the sections, and `File`, which it sets to the saved path itself. */
export const GO_TOP_LEVEL: ReadonlySet<string> = new Set(['exp', 'mqtt', 'routes', 'File', 'file'])

export function isGoSection(key: string): key is GoSection {
  return Object.hasOwn(GO_SCHEMA, key)
}

/** Whether the Agent keeps `key` of `section`. */
export function isGoKey(section: GoSection, key: string): boolean {
  return Object.hasOwn(GO_SCHEMA[section], key)
}

/** `record[key]` when it is the record's own entry: a key such as `constructor` is not a Go key. */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `value` in the Go type when it is written as another type that means the same; else as it is. */
function toGoType(value: unknown, type: GoType): unknown {
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

const TYPE_NAMES: Record<GoType, string> = { string: 'a string', bool: 'a boolean', int: 'a number' }

/**
 * One table with aliases under their Go names (unless the Go key is set too) and values in the Go
 * types; keys the Agent does not know are kept as they are. Each change is added to `notes`,
 * prefixed with `where` (`[mqtt]`, `routes[0]`).
 */
export function toGoTable(section: GoSection, table: Record<string, unknown>, where: string, notes: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const aliases = GO_ALIASES[section]
  const types = GO_SCHEMA[section]
  for (const [key, value] of Object.entries(table)) {
    const target = ownEntry(aliases, key)
    const name = target !== undefined && (table[target] === undefined || table[target] === '') ? target : key
    if (name !== key) notes.push(`${where} ${key} written as ${name}, the key the Agent knows`)
    const type = ownEntry(types, name)
    const converted = type === undefined ? value : toGoType(value, type)
    if (type !== undefined && converted !== value) notes.push(`${where} ${name} written as ${TYPE_NAMES[type]}, the type the Agent expects`)
    if (name !== key && out[name] !== undefined) continue
    out[name] = converted
  }
  return out
}

/**
 * A config file object (our key names) as the Agent would leave it: only the Go sections and keys,
 * in the Go types and the schema's order. What the Agent would drop is left out.
 */
export function toGoShape(doc: Record<string, unknown>): Record<string, unknown> {
  const only = (section: GoSection, table: unknown): Record<string, unknown> => {
    const go = isRecord(table) ? toGoTable(section, table, '') : {}
    return Object.fromEntries(Object.keys(GO_SCHEMA[section]).filter((k) => go[k] !== undefined).map((k) => [k, go[k]]))
  }
  const routes = Array.isArray(doc['routes']) ? (doc['routes'] as unknown[]) : []
  return { exp: only('exp', doc['exp']), mqtt: only('mqtt', doc['mqtt']), routes: routes.map((r) => only('routes', r)) }
}
