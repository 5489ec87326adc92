/** Where and how to reach the broker, from the `[mqtt] url` and `mtls` (docs/configuration.md, "`[mqtt]`"). */
export interface BrokerAddress {
  protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss'
  host: string
  port: number
  /** WebSocket path, e.g. `/mqtt`. */
  path: string
  tls: boolean
}

const TLS_SCHEMES = new Set(['ssl', 'tls', 'tcps', 'mqtts'])
const TCP_SCHEMES = new Set(['tcp', 'mqtt'])

/**
 * Parses the broker URL. TLS is used when the scheme asks for it or `mtls` is true (a `tcp://` URL
 * with `mtls = true` is TLS on the same port: certificates are useless without it).
 */
export function brokerAddress(url: string, mtls: boolean): BrokerAddress {
  const parsed = new URL(url)
  const scheme = parsed.protocol.replace(/:$/, '')
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  const explicitPort = parsed.port === '' ? undefined : Number(parsed.port)
  if (TLS_SCHEMES.has(scheme) || (TCP_SCHEMES.has(scheme) && mtls)) {
    return { protocol: 'mqtts', host, port: explicitPort ?? 8883, path: '', tls: true }
  }
  if (TCP_SCHEMES.has(scheme)) return { protocol: 'mqtt', host, port: explicitPort ?? 1883, path: '', tls: false }
  const path = parsed.pathname === '' ? '/' : parsed.pathname
  if (scheme === 'wss' || (scheme === 'ws' && mtls)) {
    return { protocol: 'wss', host, port: explicitPort ?? 443, path, tls: true }
  }
  if (scheme === 'ws') return { protocol: 'ws', host, port: explicitPort ?? 80, path, tls: false }
  // Config validation rejects other schemes; this guards direct callers.
  throw new Error(`unsupported broker URL scheme "${scheme}"`)
}
