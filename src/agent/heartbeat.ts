import type { NatsConnection } from '@nats-io/transport-node'
import { describeError } from '../errors.js'
import type { Lifecycle } from '../lifecycle.js'
import type { Logger } from '../logger.js'
import { encodeMainfluxMessage } from '../route/mfx.js'
import { HEARTBEAT_CHANNEL_SUBJECT, HEARTBEAT_SUBJECT } from './subjects.js'

export interface HeartbeatStatus {
  status: 'online'
  mqtt: 'connected' | 'disconnected'
  queued: number
}

/**
 * The heartbeat the Mainflux Agent lists services by, in both Agents' forms (./subjects.ts):
 * publishes a small JSON status once at start, then every interval. A failed publish is logged and
 * the next tick tries again: a heartbeat is a signal, not data to keep.
 */
export class Heartbeat implements Lifecycle {
  readonly #nc: NatsConnection
  readonly #intervalMs: number
  readonly #status: () => HeartbeatStatus
  readonly #log: Logger
  #timer: NodeJS.Timeout | undefined

  constructor(nc: NatsConnection, intervalMs: number, status: () => HeartbeatStatus, log: Logger) {
    this.#nc = nc
    this.#intervalMs = intervalMs
    this.#status = status
    this.#log = log
  }

  start(): Promise<void> {
    this.beat()
    this.#timer = setInterval(() => this.beat(), this.#intervalMs)
    this.#timer.unref()
    return Promise.resolve()
  }

  beat(): void {
    try {
      const status = Buffer.from(JSON.stringify(this.#status()))
      this.#nc.publish(HEARTBEAT_SUBJECT, status)
      this.#nc.publish(
        HEARTBEAT_CHANNEL_SUBJECT,
        encodeMainfluxMessage({ channel: HEARTBEAT_SUBJECT, publisher: 'export', protocol: 'nats', payload: status, created: Date.now() * 1e6 }),
      )
    } catch (err: unknown) {
      this.#log.warn({ err: describeError(err) }, 'heartbeat not sent')
    }
  }

  /** A heartbeat has nothing to finish: stop() is close(). */
  stop(_deadlineMs?: number): Promise<void> {
    return this.close()
  }

  close(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
