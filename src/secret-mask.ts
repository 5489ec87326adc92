/**
 * The one place that knows what a secret looks like (issue 10, item 3). Everything that leaves the
 * process goes through it: every log line (src/logger.ts), every error text (src/errors.ts), every
 * JSON answer of the HTTP server (src/http/server.ts) and the CLI's output (src/cli/, src/main.ts).
 *
 * Three nets, because masking by key alone misses the secrets that travel inside text (a URL in an
 * error message, a PEM block pasted into a value):
 * 1. by key: the value of a key in {@link SECRET_KEYS}, at any depth of an object;
 * 2. by shape: the password part of `scheme://user:password@host` (and a NATS token,
 *    `nats://token@host`), `-----BEGIN … PRIVATE KEY-----` blocks, `Bearer <token>`;
 * 3. by value: the secrets of every configuration read so far ({@link rememberSecrets}), wherever
 *    they appear, so that a password quoted in an unforeseen form is still caught.
 */

/** What a masked secret is replaced by. */
export const MASK = '***'

/**
 * The keys whose values are secrets, in config files (`password`, `client_cert_key`, `cache_pass`,
 * `http_token`), in memory (`clientKey`, `httpToken`) and in HTTP (`authorization`). Matched
 * without regard to case, `_` or `-`.
 */
export const SECRET_KEYS: readonly string[] = ['password', 'client_cert_key', 'client_key', 'cache_pass', 'http_token', 'token', 'authorization']

const NORMALISED_KEYS = new Set(SECRET_KEYS.map(normaliseKey).concat(['clientkey']))

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '')
}

/** Whether the value of `key` is a secret. */
export function isSecretKey(key: string): boolean {
  return NORMALISED_KEYS.has(normaliseKey(key))
}

// `scheme://` then everything up to the LAST '@' before a space, quote, comma or angle bracket: an
// invalid URL may hold a password with '@' or '/' in it, and it must be masked all the same.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*):\/\/([^\s"'`<>,]*)@/gi
// A key block, complete or cut off (then masked to the end of the text).
const PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g
const BEARER = /\b(Bearer)\s+[^\s"',;]+/gi
/** NATS schemes: a user part without a password is a token there. */
const TOKEN_SCHEMES = new Set(['nats', 'tls'])

/**
 * Secrets shorter than this are not searched for in free text (they are still masked by key and
 * by their place in a URL): a short password would mask ordinary words everywhere.
 */
export const MIN_REMEMBERED_LENGTH = 8
const remembered = new Set<string>()
let rememberedByLength: string[] = []

/**
 * Remembers secret values (from a configuration just read) so that {@link maskText} masks them
 * wherever they appear from now on. Values shorter than {@link MIN_REMEMBERED_LENGTH} are ignored.
 * Never forgotten: a password replaced by a reload is still a secret.
 */
export function rememberSecrets(values: Iterable<string>): void {
  let added = false
  for (const value of values) {
    for (const form of [value, safeDecode(value)]) {
      if (form.length >= MIN_REMEMBERED_LENGTH && !remembered.has(form)) {
        remembered.add(form)
        added = true
      }
    }
  }
  // Longest first: a secret that contains another is masked whole.
  if (added) rememberedByLength = [...remembered].sort((a, b) => b.length - a.length)
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    // Not percent-encoded text: the value as written is the only form.
    return value
  }
}

/** `text` with every secret it holds (by shape or remembered value) replaced by {@link MASK}. */
export function maskText(text: string): string {
  let out = text
  if (out.includes('://')) out = out.replace(URL_CREDENTIALS, maskUrlCredentials)
  if (out.includes('PRIVATE KEY-----')) out = out.replace(PRIVATE_KEY, MASK)
  if (/bearer/i.test(out)) out = out.replace(BEARER, `$1 ${MASK}`)
  for (const secret of rememberedByLength) if (out.includes(secret)) out = out.split(secret).join(MASK)
  return out
}

function maskUrlCredentials(_match: string, scheme: string, userinfo: string): string {
  const colon = userinfo.indexOf(':')
  if (colon >= 0) return `${scheme}://${userinfo.slice(0, colon)}:${MASK}@`
  return TOKEN_SCHEMES.has(scheme.toLowerCase()) ? `${scheme}://${MASK}@` : `${scheme}://${userinfo}@`
}

const MAX_DEPTH = 12

/**
 * A deep copy of `value` with secrets masked: values of {@link SECRET_KEYS} become {@link MASK}
 * when set (an empty one stays empty, so "no password" stays visible), every string goes through
 * {@link maskText}, errors become copies with masked text. The original is left as it was.
 */
export function maskSecrets<T>(value: T): T {
  return maskValue(value, undefined, 0, new WeakSet()) as T
}

function maskValue(value: unknown, key: string | undefined, depth: number, seen: WeakSet<object>): unknown {
  if (key !== undefined && isSecretKey(key) && isSet(value)) return MASK
  if (typeof value === 'string') return maskText(value)
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof Date || ArrayBuffer.isView(value)) return value
  if (seen.has(value) || depth >= MAX_DEPTH) return '[not shown]'
  seen.add(value)
  try {
    if (value instanceof Error) {
      // Still an Error, so that pino serialises it as one (type, message, stack, cause).
      const cause = value.cause === undefined ? {} : { cause: maskValue(value.cause, undefined, depth + 1, seen) }
      const copy = new Error(maskText(value.message), cause)
      copy.name = value.name
      copy.stack = value.stack === undefined ? undefined : maskText(value.stack)
      return copy
    }
    if (value instanceof URL) return maskText(value.href)
    if (Array.isArray(value)) return value.map((item) => maskValue(item, undefined, depth + 1, seen))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v, k, depth + 1, seen)]))
  } finally {
    seen.delete(value)
  }
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== ''
}

/**
 * The secret values in a raw configuration document (a parsed file, or the environment's): the
 * values of {@link SECRET_KEYS} and the passwords (or NATS tokens) inside URL strings. For
 * {@link rememberSecrets}.
 */
export function secretsInRaw(raw: unknown): string[] {
  const found: string[] = []
  collect(raw, undefined, 0, found)
  return found
}

function collect(value: unknown, key: string | undefined, depth: number, found: string[]): void {
  if (depth > MAX_DEPTH) return
  if (typeof value === 'string') {
    if (key !== undefined && isSecretKey(key) && value !== '') found.push(value, value.trim())
    else found.push(...urlSecrets(value))
    return
  }
  if (typeof value === 'number' && key !== undefined && isSecretKey(key)) found.push(String(value))
  if (Array.isArray(value)) for (const item of value) collect(item, key, depth + 1, found)
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) collect(v, k, depth + 1, found)
}

function urlSecrets(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(URL_CREDENTIALS)) {
    const scheme = (m[1] ?? '').toLowerCase()
    const userinfo = m[2] ?? ''
    const colon = userinfo.indexOf(':')
    if (colon >= 0) out.push(userinfo.slice(colon + 1))
    else if (TOKEN_SCHEMES.has(scheme)) out.push(userinfo)
  }
  return out
}
