import type { NatsConnection, Subscription } from '@nats-io/transport-node'
import type { MessageSource, MessageTarget } from './message-source.js'

/** Queue group shared with every instance on the bus, as in the Go service. */
export const QUEUE_GROUP = 'export'

/**
 * A core NATS subscription. Messages are handed over synchronously from the socket parser, with no
 * pending queue in between, so the client never reports a slow consumer: the store absorbs bursts.
 */
export class CoreSubscription implements MessageSource {
  readonly #nc: NatsConnection
  readonly #subject: string
  readonly #target: MessageTarget
  #sub: Subscription | undefined

  constructor(nc: NatsConnection, subject: string, target: MessageTarget) {
    this.#nc = nc
    this.#subject = subject
    this.#target = target
  }

  start(): Promise<void> {
    const target = this.#target
    this.#sub = this.#nc.subscribe(this.#subject, {
      queue: QUEUE_GROUP,
      callback: (err, msg) => {
        if (err) return // subscription errors surface through the connection's status
        target.handle(msg.subject, msg.data)
      },
    })
    // A round trip to the server, so that "route subscribed" means the server has the SUB: a core
    // NATS message published before that reaches no one. If the connection is down, nats.js sends
    // the SUB again when it is back; the subscription stands either way.
    return this.#nc.flush().catch(() => undefined)
  }

  /** Stops new messages (the server sends what it had buffered first); those handed over are the store's. */
  async stop(_deadlineMs?: number): Promise<void> {
    const sub = this.#sub
    this.#sub = undefined
    if (sub && !sub.isClosed()) await sub.drain()
  }

  close(): Promise<void> {
    const sub = this.#sub
    this.#sub = undefined
    if (sub && !sub.isClosed()) sub.unsubscribe()
    return Promise.resolve()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
