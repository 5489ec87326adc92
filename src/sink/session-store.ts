import { Store } from 'mqtt'
import type { IClientOptions, IStore, Packet } from 'mqtt'

type IMessageIdProvider = NonNullable<IClientOptions['messageIdProvider']>

/** Packet ids are 16 bits; 0 is not a valid id. */
const MAX_PACKET_ID = 65_535

/**
 * The MQTT session's unacknowledged packets (PUBLISH of QoS 1/2, then PUBREL once a QoS 2 message
 * got its PUBREC), in the order they were first sent: mqtt.js's outgoing store, replaced.
 *
 * mqtt.js resends its store after a reconnect one packet per acknowledgement (mqtt.js issue #1086):
 * with a thousand messages in flight on a 600 ms uplink that is ten minutes before anything new
 * moves. So this store hands mqtt.js nothing to resend ({@link createStream} is empty) and the sink
 * resends {@link packets} itself, as many at once as the window allows, with the same packet ids
 * (QoS 2 stays exactly-once: the broker matches them against the session it kept).
 */
export class SessionStore implements IStore {
  readonly #packets = new Map<number, Packet>()
  /** An always-empty store of mqtt.js: its stream is the kind mqtt.js reads, with nothing in it. */
  readonly #empty = new Store()

  /** The unacknowledged packets, oldest first. */
  packets(): Packet[] {
    return [...this.#packets.values()]
  }

  get size(): number {
    return this.#packets.size
  }

  has(messageId: number): boolean {
    return this.#packets.has(messageId)
  }

  /** The packet held under `messageId` (a PUBLISH, or the PUBREL that replaced it), if any. */
  peek(messageId: number): Packet | undefined {
    return this.#packets.get(messageId)
  }

  put(packet: Packet, cb: (err?: Error) => void): IStore {
    // A PUBREL replaces its PUBLISH under the same id and keeps its place in the order.
    if (packet.messageId !== undefined) this.#packets.set(packet.messageId, packet)
    cb()
    return this
  }

  createStream(): ReturnType<IStore['createStream']> {
    return this.#empty.createStream()
  }

  del(packet: Pick<Packet, 'messageId'>, cb: (err?: Error, packet?: Packet) => void): IStore {
    const id = packet.messageId
    const found = id === undefined ? undefined : this.#packets.get(id)
    if (found === undefined) {
      cb(new Error('missing packet'))
      return this
    }
    this.#packets.delete(id!)
    cb(undefined, found)
    return this
  }

  get(packet: Pick<Packet, 'messageId'>, cb: (err?: Error, packet?: Packet) => void): IStore {
    const found = packet.messageId === undefined ? undefined : this.#packets.get(packet.messageId)
    if (found === undefined) cb(new Error('missing packet'))
    else cb(undefined, found)
    return this
  }

  close(cb: (err?: Error) => void): void {
    // The session outlives a closed connection: what is in flight is resent on the next one.
    cb()
  }
}

/**
 * Packet ids for new publishes that never reuse one still in the session. mqtt.js's default
 * provider counts up and wraps, and `clear()`s at each connect; with many messages in flight, or
 * one stuck while the rest move on, a new publish would take the id of an old one and overwrite its
 * callback (issue 10: messages "in flight" for ever). Amortised O(1): ids are taken in order.
 */
export class SessionIdProvider implements IMessageIdProvider {
  readonly #inUse: (id: number) => boolean
  #last = 0

  constructor(inUse: (id: number) => boolean) {
    this.#inUse = inUse
  }

  allocate(): number | null {
    for (let tries = 0; tries < MAX_PACKET_ID; tries++) {
      this.#last = this.#last >= MAX_PACKET_ID ? 1 : this.#last + 1
      if (!this.#inUse(this.#last)) return this.#last
    }
    return null // every id is in flight: mqtt.js holds the publish until one is acknowledged
  }

  getLastAllocated(): number | null {
    return this.#last === 0 ? null : this.#last
  }

  register(id: number): boolean {
    return !this.#inUse(id)
  }

  deallocate(): void {
    // Nothing to do: an id is free once its packet left the session store.
  }

  clear(): void {
    // mqtt.js calls this at each connect; the session's ids stay in use until acknowledged.
  }
}
