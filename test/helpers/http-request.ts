import { request } from 'node:http'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

/** What {@link httpRequest} got back. */
export interface HttpAnswer {
  status: number
  headers: IncomingHttpHeaders
  /** The body as text ('' for none). */
  body: string
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  method?: string
  /** Default 127.0.0.1. */
  host?: string
  /**
   * Headers as sent, also those a browser sets itself and `fetch` may not let a program set
   * (`Origin`, `Sec-Fetch-Site`, `Host`).
   */
  headers?: OutgoingHttpHeaders
  body?: string
  timeoutMs?: number
}

/**
 * One HTTP/1.1 request with node:http, headers exactly as given: how a browser's cross-origin
 * request looks to the server, or a HEAD whose answer must have no body.
 */
export function httpRequest(port: number, path: string, opts: HttpRequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: opts.host ?? '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, timeout: opts.timeoutMs ?? 5000 },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${path} on port ${port}: no answer in ${opts.timeoutMs ?? 5000} ms`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}
