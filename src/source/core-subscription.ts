import type { NatsConnection, Subscription } from '@nats-io/transport-node'
import type { MessageHandler, RouteSource } from './source.js'

/** Queue group shared with every instance on the bus, as in the Go service. */
export const QUEUE_GROUP = 'export'

/**
 * A core NATS subscription. Messages are handed over synchronously from the socket parser, with no
 * pending queue in between, so the client never reports a slow consumer: the store absorbs bursts.
 */
export class CoreSubscription implements RouteSource {
  readonly #nc: NatsConnection
  readonly #subject: string
  readonly #handler: MessageHandler
  #sub: Subscription | undefined

  constructor(nc: NatsConnection, subject: string, handler: MessageHandler) {
    this.#nc = nc
    this.#subject = subject
    this.#handler = handler
  }

  start(): Promise<void> {
    const handler = this.#handler
    this.#sub = this.#nc.subscribe(this.#subject, {
      queue: QUEUE_GROUP,
      callback: (err, msg) => {
        if (err) return // subscription errors surface through the connection's status
        handler(msg.subject, msg.data)
      },
    })
    return Promise.resolve()
  }

  /** Stops new messages; those already delivered to the handler are the store's. */
  async stop(): Promise<void> {
    const sub = this.#sub
    this.#sub = undefined
    if (sub && !sub.isClosed()) await sub.drain()
  }
}
