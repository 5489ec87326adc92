import { isIP } from 'node:net'
import { coerceString } from './coerce.js'

// A DNS name: labels of letters, digits and inner hyphens.
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i

/**
 * `[exp] http_host` (new): an IP address (`127.0.0.1`, `::1`, `[::1]`, `0.0.0.0`) or a host name
 * (`localhost`). Not a URL and no port: the port is `[exp] port`.
 */
export function parseHttpHost(value: unknown, what: string): string {
  const text = coerceString(value, what).trim()
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  if (bare === '' || isIP(bare) !== 0 || HOST_NAME.test(bare)) return bare
  throw new Error(`${what}: expected an IP address or a host name such as "127.0.0.1" (no scheme, no port: the port is [exp] port), found ${JSON.stringify(text)}`)
}

// Visible ASCII: what an HTTP header carries without encoding (RFC 9110 field values).
const TOKEN = /^[\x21-\x7e]+$/

/**
 * `[exp] http_token` (new): sent by clients as `Authorization: Bearer <token>`, so visible ASCII
 * without spaces. The value is a secret: the message never quotes it.
 */
export function parseHttpToken(value: unknown, what: string): string {
  const text = coerceString(value, what).trim()
  if (text !== '' && !TOKEN.test(text)) {
    throw new Error(`${what} must be visible ASCII characters without spaces (it is sent as "Authorization: Bearer <token>")`)
  }
  return text
}
