import type { Readable } from 'node:stream'
import type { MqttClient, Packet } from 'mqtt'

/**
 * Lets mqtt.js take any MQTT 5 PUBACK/PUBREC reason code (issue 10).
 *
 * mqtt-packet's parser accepts on PUBACK and PUBREC only the reason codes the spec lists for them
 * (MQTT 5 §3.4.2.1) and calls any other one a parse error. Brokers send others: Mosquitto answers
 * 0x95 "Packet too large" to a message over its `message_size_limit`. mqtt.js then reports an
 * error, the ack is lost (and the rest of that read with it), the publish never completes and the
 * connection hangs until keep-alive kills it, on every resend: the queue stops for good.
 *
 * mqtt-packet has no option to accept more codes, and its table is shared module state. So the
 * bytes are fixed before the parser sees them: a 'data' listener put in front of mqtt.js's own
 * (prepended, on each new connection's stream) walks the packet frames, and rewrites an unlisted
 * code in place to one the parser takes with the same meaning for mqtt.js: 0x80 "Unspecified
 * error" for a refusal (≥ 0x80), 0x00 for a success. The broker's code is remembered by packet id
 * and put back on the parsed packet ('packetreceive' comes before mqtt.js handles the ack), so
 * the publish fails with the broker's very reason (`Publish error: Packet too large`, code 149)
 * and the dispatcher removes that message alone, counted as rejected; the connection goes on.
 *
 * Only on MQTT 5 connections: 3.1.1 acks carry no reason code. The scan costs a few comparisons per
 * received packet (they are acks of a few bytes).
 */
export class AckReasonCodes {
  /** The broker's code of each rewritten ack, by packet id, until mqtt.js handles that ack. */
  readonly #original = new Map<number, number>()
  #state = State.Header
  #type = 0
  #length = 0
  #lengthBytes = 0
  #multiplier = 1
  /** Bytes of the current packet's body seen so far. */
  #seen = 0
  #id = 0
  /** How many codes were rewritten (for tests and the log). */
  rewritten = 0

  /** Watches every stream the client will use, and puts the broker's codes back on parsed acks. */
  follow(client: MqttClient): void {
    // mqtt.connect() has just created the first stream and written CONNECT: nothing was read yet.
    this.watch(client.stream)
    // Each reconnect creates a new stream and writes CONNECT on it first, synchronously.
    const onSend = (packet: Packet): void => {
      if (packet.cmd !== 'connect') return
      client.off('packetsend', onSend)
      this.watch(client.stream)
    }
    client.on('close', () => {
      client.off('packetsend', onSend)
      client.on('packetsend', onSend)
    })
    client.on('packetreceive', (packet) => this.restore(packet))
  }

  /** Starts scanning a new connection's stream from its first byte. */
  watch(stream: Readable): void {
    this.#original.clear()
    this.#state = State.Header
    stream.prependListener('data', (chunk: Buffer) => this.scan(chunk))
  }

  /** Walks the packet frames in `chunk`, rewriting unlisted PUBACK/PUBREC codes in place. */
  scan(chunk: Buffer): void {
    let i = 0
    while (i < chunk.length) {
      switch (this.#state) {
        case State.Header:
          this.#type = chunk[i++]! >> 4
          this.#length = 0
          this.#lengthBytes = 0
          this.#multiplier = 1
          this.#state = State.Length
          break
        case State.Length: {
          const b = chunk[i++]!
          this.#length += (b & 0x7f) * this.#multiplier
          this.#multiplier *= 128
          this.#lengthBytes++
          if ((b & 0x80) !== 0 && this.#lengthBytes < 4) break
          // A fifth length byte is malformed: mqtt.js closes the connection, stop looking.
          if ((b & 0x80) !== 0) this.#state = State.Lost
          else {
            this.#seen = 0
            this.#state = this.#length === 0 ? State.Header : State.Body
          }
          break
        }
        case State.Body:
          if ((this.#type === PUBACK || this.#type === PUBREC) && this.#seen < 3) {
            this.#ackByte(chunk, i++)
            this.#seen++
          } else {
            const skip = Math.min(this.#length - this.#seen, chunk.length - i)
            i += skip
            this.#seen += skip
          }
          if (this.#seen === this.#length) this.#state = State.Header
          break
        case State.Lost:
          return
      }
    }
  }

  /** Puts the broker's reason code back on a parsed ack that was rewritten. */
  restore(packet: Packet): void {
    if (this.#original.size === 0 || (packet.cmd !== 'puback' && packet.cmd !== 'pubrec') || packet.messageId === undefined) return
    const code = this.#original.get(packet.messageId)
    if (code === undefined) return
    this.#original.delete(packet.messageId)
    packet.reasonCode = code
  }

  /** Byte `seen` of a PUBACK/PUBREC body: packet id (two bytes), then the reason code. */
  #ackByte(chunk: Buffer, i: number): void {
    const b = chunk[i]!
    if (this.#seen === 0) this.#id = b << 8
    else if (this.#seen === 1) this.#id |= b
    else if (!LISTED_CODES.has(b)) {
      chunk[i] = b >= 0x80 ? UNSPECIFIED_ERROR : SUCCESS
      this.#original.set(this.#id, b)
      this.rewritten++
    }
  }
}

const enum State {
  Header,
  Length,
  Body,
  /** The framing was lost (malformed length): nothing more is scanned on this stream. */
  Lost,
}

const PUBACK = 4
const PUBREC = 5
const SUCCESS = 0x00
const UNSPECIFIED_ERROR = 0x80
/** The PUBACK and PUBREC reason codes of MQTT 5 (§3.4.2.1, §3.5.2.1): what mqtt-packet accepts. */
const LISTED_CODES = new Set([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99])
