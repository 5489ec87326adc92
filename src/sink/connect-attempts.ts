import type { MqttClient } from 'mqtt'
import { systemClock } from '../clock.js'
import type { Clock } from '../clock.js'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import { Backoff } from './backoff.js'
import { explainConnectError } from './client-options.js'

/** A connect error that persists is logged again this often. */
const REMINDER_MS = 60_000

/**
 * The reconnect policy of the sink's clients (the session wipe and the session itself) and its
 * reporting: reconnects back off 1 s, 2 s, 4 s … 30 s with jitter ({@link Backoff}) and start again
 * from 1 s after a connect; the last error is kept for /health, and logged once per distinct error
 * and then once a minute while it persists (a refused password must not write a line per attempt).
 */
export class ConnectAttempts {
  readonly #initialMs: number
  readonly #backoff: Backoff
  readonly #log: Logger
  readonly #clock: Clock
  #lastError: string | undefined
  #lastLogged: string | undefined
  #lastLoggedAt = 0

  constructor(initialMs: number, log: Logger, clock: Clock = systemClock) {
    this.#initialMs = initialMs
    this.#backoff = new Backoff(initialMs)
    this.#log = log
    this.#clock = clock
  }

  /** The last connect error, `MQTT: …`, until cleared by a connect. */
  get lastError(): string | undefined {
    return this.#lastError
  }

  /** Connected: the fault is over. */
  clear(): void {
    this.#lastError = undefined
  }

  /** Sets `client`'s reconnect period before each attempt, and reports its errors. */
  follow(client: MqttClient): void {
    client.on('connect', () => {
      this.#backoff.reset()
      client.options.reconnectPeriod = this.#initialMs
    })
    // 'reconnect' fires just before an attempt; the period set now applies if that attempt fails.
    client.on('reconnect', () => {
      client.options.reconnectPeriod = this.#backoff.next()
    })
    client.on('error', (err) => this.#report(err))
  }

  #report(err: Error): void {
    const text = explainConnectError(describeError(err).trim())
    this.#lastError = `MQTT: ${text}`
    const now = this.#clock.now()
    if (text !== this.#lastLogged || now - this.#lastLoggedAt > REMINDER_MS) {
      this.#lastLogged = text
      this.#lastLoggedAt = now
      this.#log.warn({ err: text }, 'MQTT connection failed; retrying')
    }
  }
}
