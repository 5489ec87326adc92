import type { MqttConfig, Qos } from './config/types.js'

/**
 * What an MQTT broker takes, checked before a message is queued (src/route) and again before a
 * message queued earlier is published (src/sink): one bad message must not stop the connection
 * that every route shares (issue 10). Shared by both sides, so it belongs to neither.
 */

/** MQTT strings carry their length in 16 bits. */
const MAX_TOPIC_BYTES = 65_535

/**
 * Characters a broker refuses in a topic name (MQTT 3.1.1 §1.5.3, 4.7; MQTT 5 §1.5.4, 4.7),
 * as Mosquitto checks them: it closes the connection on such a PUBLISH, so the message would come
 * back from the store on every reconnect.
 * - `+` and `#`: wildcards, for subscriptions only;
 * - U+0000–U+001F and U+007F–U+009F: control characters (U+0000 is forbidden, the others are
 *   refused by Mosquitto and "SHOULD NOT" be used);
 * - lone surrogates (no UTF-8 encoding) and the non-characters U+FDD0–U+FDEF, U+xFFFE, U+xFFFF;
 * - U+FFFD: what a NATS subject that is not valid UTF-8 decodes to. A broker would take it, but
 *   under a topic that is not the subject's: two different subjects would land on one topic.
 */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  /[+#\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufdd0-\ufdef\ufffd\ufffe\uffff\u{1fffe}\u{1ffff}\u{2fffe}\u{2ffff}\u{3fffe}\u{3ffff}\u{4fffe}\u{4ffff}\u{5fffe}\u{5ffff}\u{6fffe}\u{6ffff}\u{7fffe}\u{7ffff}\u{8fffe}\u{8ffff}\u{9fffe}\u{9ffff}\u{afffe}\u{affff}\u{bfffe}\u{bffff}\u{cfffe}\u{cffff}\u{dfffe}\u{dffff}\u{efffe}\u{effff}\u{ffffe}\u{fffff}\u{10fffe}\u{10ffff}]/u

/**
 * Why `topic` cannot be published (a sentence naming the offending character), or undefined if a
 * broker takes it.
 */
export function topicProblem(topic: string): string | undefined {
  if (topic === '') return 'the topic is empty'
  const bad = FORBIDDEN.exec(topic)
  if (bad !== null) {
    const ch = bad[0]
    if (ch === '+' || ch === '#') return `the topic contains the wildcard '${ch}'`
    if (ch === '\ufffd') return 'the subject is not valid UTF-8 (it decodes to U+FFFD)'
    const code = ch.codePointAt(0) ?? 0
    return `the topic contains U+${code.toString(16).toUpperCase().padStart(4, '0')}, which MQTT does not allow in a topic`
  }
  if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) return `the topic is longer than ${MAX_TOPIC_BYTES} bytes`
  return undefined
}

/** Bytes of the Remaining Length field for a packet body of `n` bytes. */
function lengthFieldBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4
}

/**
 * Size of the PUBLISH packet that carries this message, fixed header included: what MQTT 5's
 * Maximum Packet Size and Mosquitto's `max_packet_size` count. Topic and payload, a packet id at
 * QoS 1 and 2, and (MQTT 5) an empty property list: the sink sends no properties.
 */
export function publishPacketBytes(topic: string, payloadBytes: number, qos: Qos, protocolVersion: 4 | 5): number {
  const body = 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + (protocolVersion === 5 ? 1 : 0) + payloadBytes
  return 1 + lengthFieldBytes(body) + body
}

/**
 * The biggest PUBLISH packet the broker takes, as far as it is known: `[mqtt] max_message_bytes`
 * (for MQTT 3.1.1 brokers, which cannot say theirs) and the Maximum Packet Size of the last MQTT 5
 * CONNACK, whichever is smaller. Until either is known, every size passes.
 */
export class PublishLimits {
  #config: Pick<MqttConfig, 'qos' | 'protocolVersion' | 'maxMessageBytes'>
  #brokerMaxBytes: number | undefined
  #max: number | undefined

  constructor(config: Pick<MqttConfig, 'qos' | 'protocolVersion' | 'maxMessageBytes'>) {
    this.#config = config
    this.#max = this.#combine()
  }

  /** The `[mqtt]` in force (a reload may change it; the broker's word is then forgotten). */
  setConfig(config: Pick<MqttConfig, 'qos' | 'protocolVersion' | 'maxMessageBytes'>): void {
    this.#config = config
    this.#brokerMaxBytes = undefined
    this.#max = this.#combine()
  }

  /** What the broker said at connect (MQTT 5 CONNACK Maximum Packet Size); undefined: no limit. */
  setBrokerMax(bytes: number | undefined): void {
    this.#brokerMaxBytes = bytes
    this.#max = this.#combine()
  }

  /** The limit in force in bytes, or undefined when none is known. */
  get maxBytes(): number | undefined {
    return this.#max
  }

  /** Where the limit in force comes from, for the log. */
  get source(): string {
    const fromBroker = this.#brokerMaxBytes !== undefined && this.#brokerMaxBytes === this.#max
    return fromBroker ? "the broker's Maximum Packet Size" : '[mqtt] max_message_bytes'
  }

  /**
   * The size of the PUBLISH packet when it is above the limit in force, else undefined. Cheap when
   * there is no limit or the message is clearly small: this runs for every message.
   */
  tooLarge(topic: string, payloadBytes: number): number | undefined {
    const max = this.#max
    // A UTF-16 code unit is at most 3 bytes of UTF-8; 12 covers the headers.
    if (max === undefined || payloadBytes + 3 * topic.length + 12 <= max) return undefined
    const bytes = publishPacketBytes(topic, payloadBytes, this.#config.qos, this.#config.protocolVersion)
    return bytes > max ? bytes : undefined
  }

  #combine(): number | undefined {
    const configured = this.#config.maxMessageBytes > 0 ? this.#config.maxMessageBytes : undefined
    if (configured === undefined) return this.#brokerMaxBytes
    return this.#brokerMaxBytes === undefined ? configured : Math.min(configured, this.#brokerMaxBytes)
  }
}
