import type { NatsConnection, Subscription } from '@nats-io/transport-node'
import { configFromRaw, parseConfigText, readConfigFile } from '../config/index.js'
import type { Config } from '../config/types.js'
import { describeError } from '../errors.js'
import type { Lifecycle } from '../lifecycle.js'
import type { Logger } from '../logger.js'
import { RELOAD_SUBJECTS } from '../agent/subjects.js'

/** The running service, as the reloader sees it. */
export interface Reloadable {
  /** Applies the configuration (src/reload/apply-reload.ts); returns what changed. */
  applyConfig(next: Config): Promise<string[]>
  /** The NATS connection, once there: the Agent's reload commands come on it. */
  natsConnection(): Promise<NatsConnection>
}

export interface ReloadResult {
  ok: boolean
  changes: string[]
  error?: string
}

/**
 * Re-reads the config file and applies it (SIGHUP, POST /reload, the Agent's NATS commands:
 * start() listens for those once NATS is connected).
 * Reloads run one at a time; a request that comes during one runs once more after it, so the last
 * file written is the one in force. An invalid file keeps the running configuration.
 */
export class ConfigReloader implements Lifecycle {
  readonly #service: Reloadable
  readonly #path: string
  readonly #env: NodeJS.ProcessEnv
  readonly #log: Logger
  #running: Promise<ReloadResult> | undefined
  #queued: Promise<ReloadResult> | undefined
  #lastError: string | undefined
  #subs: Subscription[] = []
  #closed = false

  constructor(service: Reloadable, path: string, env: NodeJS.ProcessEnv, log: Logger) {
    this.#service = service
    this.#path = path
    this.#env = env
    this.#log = log
  }

  /** The error of the last reload, until one succeeds. */
  get lastError(): string | undefined {
    return this.#lastError
  }

  reload(trigger: string): Promise<ReloadResult> {
    if (!this.#running) {
      this.#running = this.#reloadOnce(trigger).finally(() => {
        this.#running = undefined
      })
      return this.#running
    }
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined
      return this.reload(trigger)
    })
    return this.#queued
  }

  async #reloadOnce(trigger: string): Promise<ReloadResult> {
    this.#log.info({ trigger, path: this.#path }, 'reloading configuration')
    try {
      const text = await readConfigFile(this.#path)
      const { config, warnings } = configFromRaw(parseConfigText(text, this.#path), { fileName: this.#path, env: this.#env })
      for (const w of warnings) this.#log.warn({ path: this.#path }, w)
      const changes = await this.#service.applyConfig(config)
      this.#lastError = undefined
      this.#log.info({ trigger, changes }, changes.length > 0 ? 'configuration reloaded' : 'configuration reloaded: nothing changed')
      return { ok: true, changes }
    } catch (err: unknown) {
      this.#lastError = `reload failed, previous configuration kept: ${describeError(err)}`
      this.#log.error({ trigger, err: describeError(err) }, 'reload failed; previous configuration kept')
      return { ok: false, changes: [], error: describeError(err) }
    }
  }

  /** Listens for the Agent's reload commands once NATS is connected (in the background). */
  start(): Promise<void> {
    void this.#service.natsConnection().then(
      (nc) => this.#listen(nc),
      () => undefined, // the service logs NATS failures
    )
    return Promise.resolve()
  }

  #listen(nc: NatsConnection): void {
    if (this.#closed) return
    for (const subject of RELOAD_SUBJECTS) {
      this.#subs.push(
        nc.subscribe(subject, {
          callback: (err) => {
            if (err) return // reported through the connection's status
            void this.reload(`nats ${subject}`) // result is logged by reload itself
          },
        }),
      )
    }
  }

  /** Takes no more commands. A reload under way is not waited for: the service's stop ends it. */
  stop(_deadlineMs: number): Promise<void> {
    return this.close()
  }

  close(): Promise<void> {
    this.#closed = true
    for (const sub of this.#subs) sub.unsubscribe()
    this.#subs = []
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
