/** Keys whose values are secrets in a config file object (and `inline key` spellings). */
const SECRET_KEYS = new Set(['password', 'client_cert_key', 'cache_pass', 'client_key', 'clientKey'])

// `scheme://user:password@host`: the password part of a broker URL is a secret too.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s,]*):[^@/\s,]*@/gi

/**
 * A deep copy of a config file object (as `toFileObject` or a parsed file gives it) in which
 * `password`, `client_cert_key` (the inline client key), `cache_pass` and passwords inside URLs
 * are replaced by `"***"` when non-empty, so that `config check` and logs can show it.
 */
export function maskSecrets<T>(obj: T): T {
  return maskValue(obj, undefined) as T
}

function maskValue(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== undefined && value !== null && value !== '') return '***'
  if (typeof value === 'string') return value.replace(URL_PASSWORD, '$1:***@')
  if (Array.isArray(value)) return value.map((item) => maskValue(item, undefined))
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v, k)]))
  }
  return value
}
