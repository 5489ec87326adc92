import type { LinkObserver } from '../source/nats-link.js'

/** One time a link was down: from the loss of the connection to the next connect. */
export interface Outage {
  /** Unix ms the connection was lost. */
  startedAt: number
  /** Unix ms it was back; undefined while the outage lasts. */
  endedAt: number | undefined
  /** What the link reported while it was down (the first error seen), if anything. */
  cause: string | undefined
}

/** A link's history, as /status, /metrics and the status page show it. */
export interface LinkReport {
  /** Connections made again after a loss (the first connect is not one). */
  reconnects: number
  /** Unix ms of the current state: connected since, or down since (undefined: never connected yet). */
  since: number | undefined
  /** The last outages, newest first (the ongoing one included). */
  outages: Outage[]
}

/** Outages kept per link: enough for "the last outages" on the page, bounded. */
const MAX_OUTAGES = 20

/**
 * The connects and losses of one link (NATS or MQTT), fed by the link's own `connected` and
 * `disconnected` events, so that an operator sees how often and how long the link was down, not
 * only its state now. Bounded: the last {@link MAX_OUTAGES} outages.
 */
export class LinkHistory implements LinkObserver {
  readonly #outages: Outage[] = []
  readonly #now: () => number
  #reconnects = 0
  #connected = false
  #everConnected = false
  #since: number | undefined

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** The link connected. After a loss, that ends the outage and counts a reconnect. */
  up(): void {
    if (this.#connected) return
    const now = this.#now()
    this.#connected = true
    this.#since = now
    if (!this.#everConnected) {
      this.#everConnected = true
      return
    }
    this.#reconnects++
    const open = this.#outages[0]
    if (open !== undefined && open.endedAt === undefined) open.endedAt = now
  }

  /** The link was lost; `cause` is the link's error at that moment, if it has one. */
  down(cause?: string): void {
    // Before the first connect the link is not lost, only not there yet: the state says so.
    if (!this.#connected) return
    this.#connected = false
    this.#since = this.#now()
    this.#outages.unshift({ startedAt: this.#since, endedAt: undefined, cause })
    if (this.#outages.length > MAX_OUTAGES) this.#outages.pop()
  }

  /**
   * The link's error now: it becomes the cause of the ongoing outage if that has none yet (the
   * reason a reconnect fails is known only after the loss).
   */
  noteCause(cause: string | undefined): void {
    const open = this.#outages[0]
    if (cause !== undefined && open !== undefined && open.endedAt === undefined && open.cause === undefined) open.cause = cause
  }

  report(): LinkReport {
    return { reconnects: this.#reconnects, since: this.#since, outages: this.#outages.map((o) => ({ ...o })) }
  }
}
