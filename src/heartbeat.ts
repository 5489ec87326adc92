import type { NatsConnection } from '@nats-io/transport-node'
import { describeError } from './errors.js'
import type { Logger } from './logger.js'

/** The Agent lists a service by the subject alone: `heartbeat.<name>.service` (SPEC §6). */
export const HEARTBEAT_SUBJECT = 'heartbeat.export.service'

export interface HeartbeatStatus {
  status: 'online'
  mqtt: 'connected' | 'disconnected'
  queued: number
}

/**
 * Publishes a small JSON status once at start, then every interval. A failed publish is logged and
 * the next tick tries again: a heartbeat is a signal, not data to keep.
 */
export class Heartbeat {
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

  start(): void {
    this.beat()
    this.#timer = setInterval(() => this.beat(), this.#intervalMs)
    this.#timer.unref()
  }

  beat(): void {
    try {
      this.#nc.publish(HEARTBEAT_SUBJECT, JSON.stringify(this.#status()))
    } catch (err: unknown) {
      this.#log.warn({ err: describeError(err) }, 'heartbeat not sent')
    }
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
