import { EventEmitter } from 'node:events'
import mqtt from 'mqtt'
import type { IClientOptions, IClientPublishOptions, IConnackPacket, MqttClient } from 'mqtt'
import type { MqttConfig } from '../config/types.js'
import { describeError } from '../errors.js'
import type { Lifecycle } from '../lifecycle.js'
import type { Logger } from '../logger.js'
import { AckReasonCodes } from './ack-reason-codes.js'
import { brokerAddress } from './broker-address.js'
import { clientOptions } from './client-options.js'
import { ConnectAttempts } from './connect-attempts.js'
import { Flights } from './flights.js'
import { InflightWindow, eventLoopBusy } from './inflight-window.js'
import type { MonotonicNow, LoopBusy, WindowBounds, WindowState } from './inflight-window.js'
import { PoisonWatch, giveUp } from './poison-watch.js'
import { SessionResend } from './session-resend.js'
import { SessionIdProvider, SessionStore } from './session-store.js'

export type SinkState = 'connected' | 'disconnected'

export interface SinkEvents {
  connected: []
  disconnected: []
  /** The window has room again without a publish having completed (QoS 2: a PUBREC). */
  room: []
}

/** How long the broker keeps our session (MQTT 5) while the link is down: a week of outage. */
const SESSION_EXPIRY_S = 7 * 24 * 3600
const INITIAL_RECONNECT_MS = 1000
/** How long a DISCONNECT may take before the socket is dropped. */
const CLOSE_TIMEOUT_MS = 2000
/** MQTT packet ids are 16 bits: no more publishes can await an ack at once. */
const PACKET_ID_SPACE = 65_535
/**
 * QoS 2 over MQTT 3.1.1 in `auto` mode: the client cannot learn the broker's limit, and a stock
 * Mosquitto (`max_inflight_messages 20`) stops answering a client with more unacknowledged.
 */
const QOS2_V311_AUTO_CAP = 20

/** Options of {@link MqttSink} besides the config: a clock for the window, for tests. */
export interface MqttSinkOptions {
  now?: MonotonicNow
  busy?: LoopBusy
}

/**
 * The cloud MQTT connection (mqtt.js) and its window of unacknowledged publishes.
 *
 * Session: QoS 1 and 2 survive a link cut only if the broker keeps our session, so the client
 * connects with `clean: false`. What was unacknowledged is resent on the new connection, in order,
 * with its packet ids, before anything new ({@link SessionResend}; mqtt.js would resend one packet
 * per round trip). But a session left by an earlier run of this process may hold QoS 2 packet ids
 * that the broker would take for duplicates of our new messages and silently discard; so each sink
 * first connects once with a clean session to wipe it, then opens the persistent one.
 *
 * Window: at most `room()` more publishes may be handed over at any time ({@link InflightWindow},
 * bounded by `[mqtt] max_inflight` and the broker's Receive Maximum), shared by every route.
 */
export class MqttSink extends EventEmitter<SinkEvents> implements Lifecycle {
  readonly config: MqttConfig
  readonly #log: Logger
  readonly #attempts: ConnectAttempts
  readonly #publishOptions: IClientPublishOptions
  readonly #now: MonotonicNow
  readonly #window: InflightWindow
  readonly #session = new SessionStore()
  readonly #resend: SessionResend
  readonly #flights: Flights
  readonly #ids = new SessionIdProvider((id) => this.#session.has(id))
  /** Issue 10: the message the broker drops the connection for is found and dead-lettered. */
  readonly #poison: PoisonWatch
  /** The broker's MQTT 5 Maximum Packet Size at the last connect; undefined: none said. */
  #maxPacketBytes: number | undefined
  #client: MqttClient | undefined
  #wipeClient: MqttClient | undefined
  #state: SinkState = 'disconnected'
  #closed = false
  #advisedQos2 = false

  constructor(config: MqttConfig, log: Logger, options: MqttSinkOptions = {}) {
    super()
    this.config = config
    this.#log = log
    this.#attempts = new ConnectAttempts(INITIAL_RECONNECT_MS, log)
    this.#publishOptions = { qos: config.qos, retain: config.retain }
    this.#now = options.now ?? (() => performance.now())
    this.#window = new InflightWindow(this.#now, options.busy ?? eventLoopBusy())
    this.#poison = new PoisonWatch(this.#session, () => this.config.keepAliveMs)
    this.#resend = new SessionResend(this.#session, () => this.#window.limit, this.#poison)
    this.#flights = new Flights(this.#window, config.qos, this.#now, () => this.#resend.acked())
  }

  get state(): SinkState {
    return this.#state
  }

  /** Ready for new publishes: connected, and the session's resends are all written. */
  get connected(): boolean {
    return this.#state === 'connected' && this.#resend.pending === 0
  }

  get lastError(): string | undefined {
    return this.#attempts.lastError
  }

  /** The biggest packet the broker takes, as its last CONNACK said (MQTT 5); undefined if it said none. */
  get maxPacketBytes(): number | undefined {
    return this.#maxPacketBytes
  }

  /** How many more publishes the window takes now (and packet ids allow: QoS 2 keeps one until PUBCOMP). */
  room(): number {
    return Math.min(this.#window.room(), PACKET_ID_SPACE - 1 - this.#session.size)
  }

  /** The dispatcher has messages it cannot send for lack of room: the window is what limits. */
  limited(): void {
    this.#window.limited()
  }

  window(): WindowState {
    return this.#window.state()
  }

  /** Starts connecting; never waits for the broker. Rejects with TlsConfigError for unusable certificates. */
  start(): Promise<void> {
    try {
      this.#connect()
      return Promise.resolve()
    } catch (err: unknown) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  #connect(): void {
    const base = clientOptions(this.config, INITIAL_RECONNECT_MS)
    const address = brokerAddress(this.config.url, this.config.mtls)
    this.#log.info({ broker: `${address.protocol}://${address.host}:${address.port}`, clientId: this.config.clientId }, 'connecting to MQTT broker')
    const wipe = mqtt.connect({
      ...base,
      clean: true,
      ...(this.config.protocolVersion === 5 ? { properties: { sessionExpiryInterval: 0 } } : {}),
    })
    this.#wipeClient = wipe
    this.#attempts.follow(wipe)
    wipe.once('connect', () => {
      wipe.end(false, () => {
        this.#wipeClient = undefined
        if (!this.#closed) this.#startSession(base)
      })
    })
  }

  #startSession(base: IClientOptions): void {
    const client = mqtt.connect({
      ...base,
      clean: false,
      outgoingStore: this.#session,
      messageIdProvider: this.#ids,
      ...(this.config.protocolVersion === 5 ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_S } } : {}),
    })
    this.#client = client
    // MQTT 5 acks may carry reason codes mqtt-packet refuses to parse (0x95): see ack-reason-codes.ts.
    if (this.config.protocolVersion === 5) new AckReasonCodes().follow(client)
    this.#attempts.follow(client)
    client.on('connect', (connack) => this.#onConnect(client, connack))
    if (this.config.qos === 2) {
      client.on('packetreceive', (packet) => {
        if (this.#flights.received(packet)) this.emit('room')
      })
    }
    client.on('close', () => {
      this.#resend.stop()
      // Not written before the socket closed: not delivered; the dispatcher queues them again.
      this.#flights.closed()
      if (this.#state === 'connected' && !this.#closed) this.#log.warn({ inFlight: this.#session.size }, 'MQTT connection lost; messages wait in the store')
      const poison = this.#closed ? undefined : this.#poison.closed(this.#state === 'connected')
      if (poison !== undefined) giveUp(client, poison)
      this.#setState('disconnected')
    })
  }

  #onConnect(client: MqttClient, connack: IConnackPacket): void {
    this.#attempts.clear()
    // The dispatcher writes each batch in one corked write, so Nagle's algorithm only adds
    // delay: at QoS 0 nothing comes back, and the last segment would wait for the 40 ms
    // delayed ACK. (WebSocket streams have no such switch.)
    ;(client.stream as { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true)
    const receiveMaximum = this.config.protocolVersion === 5 ? connack.properties?.receiveMaximum : undefined
    this.#maxPacketBytes = this.config.protocolVersion === 5 ? connack.properties?.maximumPacketSize : undefined
    const bounds = this.#windowBounds(receiveMaximum)
    this.#window.reset(bounds)
    // mqtt.js has resent nothing (the session store hands it nothing): resend now, in order.
    const resent = this.#resend.start(client.stream, this.config.protocolVersion)
    this.#log.info(
      {
        protocol: this.config.protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1',
        qos: this.config.qos,
        maxInflight: bounds.fixed ? bounds.cap : `auto (up to ${bounds.cap})`,
        ...(receiveMaximum !== undefined ? { receiveMaximum } : {}),
        ...(this.#maxPacketBytes !== undefined ? { maximumPacketSize: this.#maxPacketBytes } : {}),
        ...(resent > 0 ? { resent } : {}),
      },
      'connected to MQTT broker',
    )
    if (this.config.qos === 2 && this.config.protocolVersion === 4 && this.config.maxInflight === 'auto' && !this.#advisedQos2) {
      this.#advisedQos2 = true
      this.#log.warn(
        { maxInflight: QOS2_V311_AUTO_CAP },
        'QoS 2 over MQTT 3.1.1: at most 20 messages in flight, the most a stock Mosquitto takes from a 3.1.1 client; to go faster set [mqtt] protocol_version = 5 (the broker then says its limit) or max_inflight to what the broker allows',
      )
    }
    this.#setState('connected')
  }

  /** The window's bounds on a connection whose CONNACK said `receiveMaximum` (MQTT 5). */
  #windowBounds(receiveMaximum: number | undefined): WindowBounds {
    const { maxInflight, qos, protocolVersion } = this.config
    let cap = Math.min(PACKET_ID_SPACE, receiveMaximum ?? PACKET_ID_SPACE)
    if (typeof maxInflight === 'number') return { cap: Math.min(cap, maxInflight), fixed: true }
    if (qos === 2 && protocolVersion === 4) cap = Math.min(cap, QOS2_V311_AUTO_CAP)
    return { cap, fixed: false }
  }

  #setState(state: SinkState): void {
    if (state === this.#state) return
    this.#state = state
    this.emit(state)
  }

  /**
   * Publishes with the configured QoS and retain flag, inside the window. `done` runs once the
   * broker has the message (QoS 0: written to the socket; 1: PUBACK; 2: PUBCOMP) or with an error:
   * a refusal (MQTT 5 reason code), or QoS 0 not written before the connection closed.
   */
  publish(topic: string, payload: Buffer, done: (err?: Error) => void): void {
    const client = this.#client
    if (!client) {
      done(new Error('MQTT sink not connected'))
      return
    }
    const flight = this.#flights.start(topic.length + payload.length, done)
    if (this.config.qos === 0) {
      client.publish(topic, payload, this.#publishOptions)
      this.#flights.handed(flight, client.stream)
      return
    }
    client.publish(topic, payload, this.#publishOptions, flight.complete)
    if (this.config.qos === 2) this.#flights.identified(flight, this.#ids.getLastAllocated())
  }

  batch(fn: () => void): void {
    const stream = this.#client?.stream
    if (!stream) {
      fn()
      return
    }
    stream.cork()
    try {
      fn()
    } finally {
      // Uncork on the next tick, as Node's docs advise, so writes of this tick leave together.
      process.nextTick(() => stream.uncork())
    }
  }

  /**
   * Disconnects cleanly (DISCONNECT packet) after the last writes; what is unacknowledged stays in
   * the store (the dispatcher's stop() waited for acks first).
   */
  stop(_deadlineMs: number): Promise<void> {
    return this.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** Disconnects cleanly (DISCONNECT packet), or drops the socket after `timeoutMs`. Idempotent. */
  async close(timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const clients = [this.#wipeClient, this.#client].filter((c): c is MqttClient => c !== undefined)
    await Promise.all(
      clients.map(async (client) => {
        const timer = setTimeout(() => client.end(true), timeoutMs)
        try {
          await client.endAsync(!client.connected)
        } catch (err: unknown) {
          this.#log.debug({ err: describeError(err) }, 'MQTT end failed')
        } finally {
          clearTimeout(timer)
        }
      }),
    )
    this.#setState('disconnected')
  }
}

