import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import { RateLimitedLog } from '../rate-limited-log.js'
import { maskSecrets } from '../secret-mask.js'
import { checkAction } from './action-guard.js'

/** A route handler; returning a promise is allowed, errors become a 500. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/** Answers with JSON; secrets in `body` are masked (src/secret-mask.ts), whatever the handler put in. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(maskSecrets(body))
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export interface HttpServerOptions {
  /**
   * The `[exp] http_token` in force ('' for none), read at each request so that a reload changes
   * it at once.
   */
  token: () => string
}

/** Methods that only read: every other method changes state and passes {@link checkAction} first. */
const READ_METHODS = new Set(['GET', 'HEAD'])
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'] as const
export type Method = Exclude<(typeof METHODS)[number], 'HEAD'>

/**
 * The HTTP edge (README.md, "HTTP"), on node:http: a handful of endpoints need no framework. Handlers read
 * state through the service and never block on the brokers.
 *
 * `HEAD` answers like `GET` without the body. Any other method than `GET` changes state: such a
 * request from a browser page of another origin is refused (403), and with a token it needs
 * `Authorization: Bearer <token>` (401) before its handler runs (src/http/action-guard.ts); an
 * endpoint registered later (dead-letter replay…) is protected just by being a POST.
 */
export class HttpServer {
  readonly #routes = new Map<string, Handler>()
  readonly #log: Logger
  readonly #refusedLog: RateLimitedLog
  readonly #token: () => string
  readonly #server: Server

  constructor(log: Logger, options: HttpServerOptions = { token: () => '' }) {
    this.#log = log
    this.#refusedLog = new RateLimitedLog(log, 10_000)
    this.#token = options.token
    this.#server = createServer((req, res) => this.#dispatch(req, res))
    // Keep-alive sockets from a scraper must not hold shutdown up.
    this.#server.keepAliveTimeout = 5000
  }

  /** Registers a handler for `METHOD /path` (a GET handler answers HEAD too). */
  on(method: Method, path: string, handler: Handler): this {
    this.#routes.set(`${method} ${path}`, handler)
    return this
  }

  #dispatch(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const method = req.method ?? 'GET'
    // node:http itself leaves the body out of an answer to HEAD.
    const handler = this.#routes.get(`${method === 'HEAD' ? 'GET' : method} ${path}`)
    if (!handler) {
      const allowed = METHODS.filter((m) => this.#routes.has(`${m === 'HEAD' ? 'GET' : m} ${path}`))
      if (allowed.length > 0) {
        res.setHeader('allow', allowed.join(', '))
        sendJson(res, 405, { error: 'method not allowed' })
      } else sendJson(res, 404, { error: 'not found' })
      return
    }
    if (!READ_METHODS.has(method)) {
      const refusal = checkAction(req, this.#token())
      if (refusal !== undefined) {
        this.#refusedLog.warn({ method, path, status: refusal.status, reason: refusal.error, remote: req.socket.remoteAddress }, 'HTTP request refused')
        if (refusal.status === 401) res.setHeader('www-authenticate', 'Bearer realm="mainflux-export"')
        sendJson(res, refusal.status, { error: refusal.error })
        return
      }
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        this.#log.error({ path, err: describeError(err) }, 'HTTP handler failed')
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' })
        else res.destroy()
      })
  }

  /**
   * Listens on `host` (`[exp] http_host`), or on every interface when it is empty or undefined, as
   * the Go service did (the Agent and Prometheus reach it over the LAN, containers map the port).
   */
  listen(port: number, host?: string): Promise<number> {
    const address = host === '' ? undefined : host
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      this.#server.once('error', onError)
      this.#server.listen(port, address, () => {
        this.#server.off('error', onError)
        resolve((this.#server.address() as AddressInfo).port)
      })
    })
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    // Idle keep-alive connections would delay close() indefinitely; in-flight requests finish.
    this.#server.closeIdleConnections()
    await closed
  }
}
