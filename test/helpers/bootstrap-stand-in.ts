import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/** A channel in a bootstrap response (`mainflux_channels`). */
export interface StandInChannel {
  id: string
  name?: string
  /** An object, or (as some bootstrap versions send it) its JSON text. */
  metadata?: Record<string, unknown> | string
}

/** The gateway as the cloud knows it. */
export interface StandInGateway {
  externalId: string
  externalKey: string
  thingId: string
  thingKey: string
  channels: StandInChannel[]
  /** The thing's metadata `export_channel_id`; left out of the metadata when undefined. */
  exportChannelId: string | undefined
  /** mTLS material in the bootstrap response (PEM text). */
  clientCert?: string
  clientKey?: string
  caCert?: string
}

/** The three requests the stand-in answers. */
export type StandInEndpoint = 'tokens' | 'bootstrap' | 'thing'

/** Options of {@link startBootstrapStandIn}. */
export interface StandInOptions {
  user: { email: string; password: string }
  /** The token POST /tokens hands out, and GET /things/<id> requires. */
  token: string
  gateway: StandInGateway
  /** Answer this endpoint with this status and body, whatever the request (to test error paths). */
  fail?: Partial<Record<StandInEndpoint, { status: number; body?: unknown }>>
}

/** A request as the stand-in received it. */
export interface RecordedRequest {
  method: string
  /** Path and query. */
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** Which endpoint answered, and with which status. */
  endpoint: StandInEndpoint | undefined
  status: number
}

/**
 * A stand-in for the Mainflux cloud's HTTP API on 127.0.0.1 (users `POST /tokens`, bootstrap
 * `GET /things/bootstrap/<external id>`, things `GET /things/<id>`), answering as Mainflux does
 * and checking credentials the same way: a wrong password, external key or token gets a 401.
 */
export interface BootstrapStandIn {
  readonly port: number
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Every request so far, in order. */
  readonly requests: readonly RecordedRequest[]
  /** Closes the listener and its connections. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export async function startBootstrapStandIn(opts: StandInOptions): Promise<BootstrapStandIn> {
  const requests: RecordedRequest[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const { endpoint, status, json } = answer(opts, req, body)
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, endpoint, status })
      send(res, status, json)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1' }, () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('bootstrap stand-in: no listen address')
  let closing: Promise<void> | undefined
  const standIn: BootstrapStandIn = {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
    [Symbol.asyncDispose]: () => standIn.close(),
  }
  return standIn
}

function send(res: ServerResponse, status: number, json: unknown): void {
  const text = json === undefined ? '' : JSON.stringify(json)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

interface Answer {
  endpoint: StandInEndpoint | undefined
  status: number
  json: unknown
}

function answer(opts: StandInOptions, req: IncomingMessage, body: string): Answer {
  const path = (req.url ?? '/').split('?')[0] ?? '/'
  const gw = opts.gateway
  const endpoint: StandInEndpoint | undefined =
    req.method === 'POST' && path === '/tokens'
      ? 'tokens'
      : req.method === 'GET' && path.startsWith('/things/bootstrap/')
        ? 'bootstrap'
        : req.method === 'GET' && /^\/things\/[^/]+$/.test(path)
          ? 'thing'
          : undefined
  if (endpoint === undefined) return { endpoint, status: 404, json: { error: 'not found' } }
  const forced = opts.fail?.[endpoint]
  if (forced !== undefined) return { endpoint, status: forced.status, json: forced.body ?? { error: 'forced by the test' } }

  switch (endpoint) {
    case 'tokens': {
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return { endpoint, status: 415, json: { error: 'unsupported content type' } }
      let creds: { email?: unknown; password?: unknown }
      try {
        creds = JSON.parse(body) as { email?: unknown; password?: unknown }
      } catch {
        return { endpoint, status: 400, json: { error: 'malformed entity' } }
      }
      if (creds.email !== opts.user.email || creds.password !== opts.user.password) return { endpoint, status: 401, json: { error: 'missing or invalid credentials provided' } }
      return { endpoint, status: 201, json: { token: opts.token } }
    }
    case 'bootstrap': {
      const externalId = decodeURIComponent(path.slice('/things/bootstrap/'.length))
      if (req.headers.authorization !== gw.externalKey) return { endpoint, status: 401, json: { error: 'missing or invalid credentials provided' } }
      if (externalId !== gw.externalId) return { endpoint, status: 404, json: { error: 'non-existent entity' } }
      return {
        endpoint,
        status: 200,
        json: {
          mainflux_id: gw.thingId,
          mainflux_key: gw.thingKey,
          mainflux_channels: gw.channels,
          content: '',
          ...(gw.clientCert !== undefined ? { client_cert: gw.clientCert } : {}),
          ...(gw.clientKey !== undefined ? { client_key: gw.clientKey } : {}),
          ...(gw.caCert !== undefined ? { ca_cert: gw.caCert } : {}),
        },
      }
    }
    case 'thing': {
      const thingId = decodeURIComponent(path.slice('/things/'.length))
      if (req.headers.authorization !== opts.token) return { endpoint, status: 401, json: { error: 'missing or invalid credentials provided' } }
      if (thingId !== gw.thingId) return { endpoint, status: 404, json: { error: 'non-existent entity' } }
      return {
        endpoint,
        status: 200,
        json: {
          id: gw.thingId,
          name: 'gateway',
          key: gw.thingKey,
          metadata: gw.exportChannelId === undefined ? {} : { export_channel_id: gw.exportChannelId },
        },
      }
    }
  }
}
