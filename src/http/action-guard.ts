import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

/** Why a state-changing request was refused: the status to answer and a reason for the client. */
export interface Refusal {
  status: 401 | 403
  error: string
}

// A request the user typed, or one from a page of this very server, is fine; anything else a
// browser labels comes from another site's page (CSRF).
const ALLOWED_FETCH_SITES = new Set(['same-origin', 'none'])

/**
 * Checks a state-changing request (POST /reload, and whatever else is not GET or HEAD):
 *
 * 1. a browser's cross-origin request is refused (403): an `Origin` header that is not the
 *    server's own host (the request's `Host`), or `Sec-Fetch-Site` other than `same-origin` or
 *    `none`. Programs (curl, the Agent, scripts) send neither header and pass;
 * 2. with a token (`[exp] http_token`), `Authorization: Bearer <token>` is required (401),
 *    compared in constant time.
 *
 * Returns undefined when the request may go on.
 */
export function checkAction(req: IncomingMessage, token: string): Refusal | undefined {
  const site = header(req, 'sec-fetch-site')
  if (site !== undefined && !ALLOWED_FETCH_SITES.has(site.toLowerCase())) {
    return { status: 403, error: 'cross-site request refused' }
  }
  const origin = header(req, 'origin')
  if (origin !== undefined && !sameHost(origin, header(req, 'host'))) {
    return { status: 403, error: 'cross-origin request refused' }
  }
  if (token !== '' && !bearerMatches(header(req, 'authorization'), token)) {
    return { status: 401, error: 'missing or wrong bearer token' }
  }
  return undefined
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Whether `origin` (`http://host:port`) names the host the request was sent to. */
function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false
  try {
    // Both through the URL parser, so that case and default ports compare equal. An opaque
    // origin ("null": a sandboxed frame, a file:// page) does not parse and is refused.
    return new URL(origin).host === new URL(`http://${host}`).host
  } catch {
    return false
  }
}

function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  const given = match?.[1] ?? ''
  // Digests have the same length whatever was sent, so the comparison time says nothing about the token.
  return timingSafeEqual(digest(given), digest(token)) && given !== ''
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
