import { connect } from '@nats-io/transport-node'
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node'
import { describeError } from '../errors.js'
import type { Lifecycle } from '../lifecycle.js'
import type { Logger } from '../logger.js'
import { maskText } from '../secret-mask.js'

export type LinkState = 'connected' | 'disconnected'

/** Told when the link goes up or down (src/link-history.ts keeps the outages for the status page). */
export interface LinkObserver {
  up(): void
  /** `cause`: the link's error at that moment, if it has one. */
  down(cause?: string): void
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
export class NatsLink implements Lifecycle {
  readonly #servers: string[]
  readonly #log: Logger
  readonly #observer: LinkObserver | undefined
  #nc: NatsConnection | undefined
  #state: LinkState = 'disconnected'
  #lastError: string | undefined
  #closing = false
  #ready: Promise<NatsConnection> | undefined

  constructor(servers: string[], log: Logger, observer?: LinkObserver) {
    this.#servers = servers
    this.#log = log
    this.#observer = observer
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

  /**
   * Starts connecting (retrying forever) and resolves at once: the service takes no message before
   * NATS is there, but everything else runs meanwhile. {@link connected} waits for the connection.
   */
  start(): Promise<void> {
    this.#ready ??= this.#connect()
    // Whoever waits on connected() hears of a failure; this only keeps it from being unhandled.
    void this.#ready.catch(() => undefined)
    return Promise.resolve()
  }

  /** Resolves with the connection once the first connect succeeded (starting the link if needed). */
  connected(): Promise<NatsConnection> {
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
    if (state === 'connected') this.#observer?.up()
    else this.#observer?.down(this.#lastError)
  }

  /**
   * Stops taking messages: drains the subscriptions (what the server already sent is handled),
   * then closes. nats.js bounds a drain by its own timeout, so the deadline is not needed here.
   */
  async stop(_deadlineMs?: number): Promise<void> {
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

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
