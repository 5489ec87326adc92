import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { StoreKind } from '../config/types.js'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import { HeldMessages } from './held-messages.js'
import { FILE_STORE_ACKS, MEMORY_REFRESH_AFTER_MS, MEMORY_STORE_ACKS, PULL_BATCH, ensureConsumer, ensureStream } from './jetstream-consumer.js'
import type { Settled } from '../store/message.js'
import type { MessageSource, MessageTarget } from './message-source.js'

export interface JetStreamRouteOptions {
  stream: string
  durable: string
  subject: string
  /**
   * The store: a file store survives a crash, so a message is acked once `flush()` made it durable;
   * a memory store does not, so a message is acked once the broker has it.
   */
  store: StoreCommits
}

/** The part of the store a JetStream source needs. */
export interface StoreCommits {
  readonly kind: StoreKind
  /** Resolves when everything appended so far is durable. */
  flush(): Promise<void>
}

/** A message the store refused (full) comes back after this delay. */
const REFUSED_REDELIVERY_MS = 5000
/** How often held messages are checked for a due in-progress ack. */
const HELD_TICK_MS = 1000

/**
 * A JetStream route (`source = "jetstream"`): a durable pull consumer on `stream`, created with
 * the stream if missing. Messages published while the service was down wait in the stream; several
 * instances sharing the durable share the work. A message is acknowledged only once it is safe:
 *
 * - file store: once the store's flush has committed it (acks batched, one flush per batch);
 * - memory store: once the broker has it; until then it is held (`HeldMessages`), its ack wait kept
 *   from expiring by in-progress acks, so that a `kill -9` costs one ack wait (20 s) before
 *   JetStream redelivers, and a long outage costs nothing.
 *
 * Messages that are not stored (invalid, ignored) are acked like stored ones of the file store;
 * messages the store refused are nak'd with a delay.
 */
export class JetStreamSubscription implements MessageSource {
  readonly #nc: NatsConnection
  readonly #opts: JetStreamRouteOptions
  readonly #target: MessageTarget
  readonly #durableStore: boolean
  readonly #log: Logger
  /** Memory store only. Outlives stop(): the store still holds those messages and acks them later. */
  readonly #held: HeldMessages | undefined
  #messages: ConsumerMessages | undefined
  #toAck: JsMsg[] = []
  #flushing = false

  constructor(nc: NatsConnection, opts: JetStreamRouteOptions, target: MessageTarget, log: Logger) {
    this.#nc = nc
    this.#opts = opts
    this.#target = target
    this.#log = log
    this.#durableStore = opts.store.kind === 'file'
    this.#held = this.#durableStore ? undefined : new HeldMessages({ refreshAfterMs: MEMORY_REFRESH_AFTER_MS, tickMs: HELD_TICK_MS, log })
  }

  async start(): Promise<void> {
    const jsm = await jetstreamManager(this.#nc)
    const target = { stream: this.#opts.stream, durable: this.#opts.durable, subject: this.#opts.subject }
    // A clustered server names its cluster in INFO: the stream is then created replicated.
    await ensureStream(jsm, target, this.#nc.info?.cluster !== undefined, this.#log)
    await ensureConsumer(jsm, target, this.#durableStore ? FILE_STORE_ACKS : MEMORY_STORE_ACKS, this.#log)
    const consumer = await jetstream(this.#nc).consumers.get(this.#opts.stream, this.#opts.durable)
    this.#messages = await consumer.consume({ max_messages: PULL_BATCH, callback: (m) => this.#onMessage(m) })
  }

  #onMessage(m: JsMsg): void {
    if (m.redelivered) this.#target.redelivered()
    const held = this.#held
    let onSettled: Settled | undefined
    if (held !== undefined) {
      onSettled = held.hold(m)
      if (onSettled === undefined) return // still held from an earlier delivery: stored already
    }
    const result = this.#target.handle(m.subject, m.data, onSettled)
    if (result === 'stored' && held !== undefined) return // acked or terminated by onSettled
    if (onSettled !== undefined) held?.cancel(m.seq)
    if (result === 'refused') {
      m.nak(REFUSED_REDELIVERY_MS)
      return
    }
    this.#toAck.push(m)
    this.#scheduleAck()
  }

  /** Acks in batches, after one store flush per batch (group commit). */
  #scheduleAck(): void {
    if (this.#flushing) return
    this.#flushing = true
    setImmediate(() => {
      const batch = this.#toAck
      this.#toAck = []
      this.#opts.store.flush().then(
        () => {
          for (const m of batch) m.ack()
        },
        (err: unknown) => {
          // Not durable: let JetStream deliver them again rather than ack what may be lost.
          this.#log.warn({ err: describeError(err), count: batch.length }, 'store flush failed; messages will be redelivered')
          for (const m of batch) m.nak(REFUSED_REDELIVERY_MS)
        },
      ).finally(() => {
        this.#flushing = false
        if (this.#toAck.length > 0) this.#scheduleAck()
      })
    })
  }

  /** Takes no new messages and acks those stored; held ones stay held (the store acks each later). */
  async stop(_deadlineMs?: number): Promise<void> {
    const messages = this.#messages
    this.#messages = undefined
    if (messages) {
      messages.stop()
      await messages.closed().catch(() => undefined) // closing: errors no longer matter
    }
    // Ack what is stored; the rest JetStream will deliver again. Held messages stay held: the
    // store still has them and acks each once the broker does.
    const batch = this.#toAck
    this.#toAck = []
    if (batch.length > 0) {
      await this.#opts.store.flush()
      for (const m of batch) m.ack()
    }
  }

  /**
   * Lets go at once: what is not acked yet, JetStream delivers again after the ack wait. Held
   * messages stay held while the NATS connection lives (they go with it).
   */
  async close(): Promise<void> {
    const messages = this.#messages
    this.#messages = undefined
    this.#toAck = []
    messages?.stop()
    await messages?.closed().catch(() => undefined) // closing: errors no longer matter
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
