import { EventEmitter } from 'node:events'
import { connect } from '@nats-io/transport-node'
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import { maskText } from '../secret-mask.js'

export type LinkState = 'connected' | 'disconnected'

export interface NatsLinkEvents {
  connected: []
  disconnected: []
}

/** The servers without their credentials, and the credentials as nats.js takes them. */
export interface NatsServersAndAuth {
  servers: string[]
  auth: Pick<ConnectionOptions, 'user' | 'pass' | 'token'>
}

/**
 * Takes `user:password@` (or a token, `token@`) out of the server URLs, as the Go service's
 * client honours them: nats.js ignores credentials in a URL (and reads a password that starts with
 * digits as the port). The first URL that has credentials gives them for every server.
 */
export function natsServersAndAuth(urls: readonly string[]): NatsServersAndAuth {
  let auth: NatsServersAndAuth['auth'] = {}
  const servers = urls.map((text) => {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      // The config accepted it; nats.js reports what it cannot dial.
      return text
    }
    if (url.username === '' && url.password === '') return text
    if (Object.keys(auth).length === 0) {
      const user = decodeURIComponent(url.username)
      auth = url.password === '' ? { token: user } : { user, pass: decodeURIComponent(url.password) }
    }
    url.username = ''
    url.password = ''
    return url.href.replace(/\/$/, '')
  })
  return { servers, auth }
}

/**
 * The connection to the local NATS bus. It keeps trying forever, from the very first connect: the
 * gateway's NATS may come up after us, and a bridge that gives up is worse than one that waits.
 */
export class NatsLink extends EventEmitter<NatsLinkEvents> {
  readonly #servers: string[]
  readonly #log: Logger
  #nc: NatsConnection | undefined
  #state: LinkState = 'disconnected'
  #lastError: string | undefined
  #closing = false
  #ready: Promise<NatsConnection> | undefined

  constructor(servers: string[], log: Logger) {
    super()
    this.#servers = servers
    this.#log = log
  }

  get state(): LinkState {
    return this.#state
  }

  get lastError(): string | undefined {
    return this.#lastError
  }

  /** The connection, once the first connect succeeded. */
  get connection(): NatsConnection | undefined {
    return this.#nc
  }

  /** Connects (retrying forever) and resolves with the connection. Safe to call more than once. */
  start(): Promise<NatsConnection> {
    this.#ready ??= this.#connect()
    return this.#ready
  }

  async #connect(): Promise<NatsConnection> {
    // The URLs may carry a user and password (or a token): never shown (issue 10).
    this.#log.info({ servers: this.#servers.map(maskText) }, 'connecting to NATS')
    const { servers, auth } = natsServersAndAuth(this.#servers)
    const nc = await connect({
      servers,
      ...auth,
      name: 'mainflux-export',
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      // Detect a dead local bus within ~10 s instead of the default 4 minutes.
      pingInterval: 5000,
      maxPingOut: 2,
    })
    this.#nc = nc
    if (this.#closing) {
      await nc.close()
      throw new Error('NATS link closed while connecting')
    }
    this.#setState('connected')
    this.#lastError = undefined
    this.#log.info({ server: maskText(nc.getServer()) }, 'connected to NATS')
    void this.#watch(nc) // status loop: ends when the connection closes
    return nc
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
          this.#lastError = `NATS disconnected from ${maskText(status.server)}`
          this.#log.warn({ server: maskText(status.server) }, 'NATS disconnected')
          this.#setState('disconnected')
          break
        case 'reconnect':
          // The fault the last error described (a lost connection, a refused reconnect) is over.
          this.#lastError = undefined
          this.#log.info({ server: maskText(status.server) }, 'NATS reconnected')
          this.#setState('connected')
          break
        case 'error':
          this.#lastError = `NATS: ${describeError(status.error)}`
          this.#log.warn({ err: describeError(status.error) }, 'NATS error')
          break
        default:
          break
      }
    }
    this.#setState('disconnected')
  }

  #setState(state: LinkState): void {
    if (state === this.#state) return
    this.#state = state
    this.emit(state)
  }

  /** Stops taking messages: drains subscriptions, then closes. */
  async drain(): Promise<void> {
    this.#closing = true
    const nc = this.#nc
    if (!nc || nc.isClosed()) return
    try {
      await nc.drain()
    } catch (err: unknown) {
      this.#log.warn({ err: describeError(err) }, 'NATS drain failed; closing')
      await nc.close()
    }
  }

  async close(): Promise<void> {
    this.#closing = true
    const nc = this.#nc
    if (nc && !nc.isClosed()) await nc.close()
  }
}
