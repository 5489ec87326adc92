import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'

/** A route handler; returning a promise is allowed, errors become a 500. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/**
 * The HTTP edge (SPEC §8), on node:http: a handful of endpoints need no framework. Handlers read
 * state through the service and never block on the brokers.
 */
export class HttpServer {
  readonly #routes = new Map<string, Handler>()
  readonly #log: Logger
  readonly #server: Server

  constructor(log: Logger) {
    this.#log = log
    this.#server = createServer((req, res) => this.#dispatch(req, res))
    // Keep-alive sockets from a scraper must not hold shutdown up.
    this.#server.keepAliveTimeout = 5000
  }

  /** Registers a handler for `METHOD /path`. */
  on(method: 'GET' | 'POST', path: string, handler: Handler): this {
    this.#routes.set(`${method} ${path}`, handler)
    return this
  }

  #dispatch(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const handler = this.#routes.get(`${req.method ?? 'GET'} ${path}`)
    if (!handler) {
      const allowed = ['GET', 'POST'].filter((m) => this.#routes.has(`${m} ${path}`))
      if (allowed.length > 0) {
        res.setHeader('allow', allowed.join(', '))
        sendJson(res, 405, { error: 'method not allowed' })
      } else sendJson(res, 404, { error: 'not found' })
      return
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        this.#log.error({ path, err: describeError(err) }, 'HTTP handler failed')
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' })
        else res.destroy()
      })
  }

  /** Listens on all interfaces, as the Go service did (the Agent and Prometheus reach it over the LAN). */
  listen(port: number, host?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      this.#server.once('error', onError)
      this.#server.listen(port, host, () => {
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
