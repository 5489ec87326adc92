/** MQTT control packet types (the upper nibble of a packet's first byte) that tests look for. */
export const MqttPacketType = {
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
} as const

/**
 * Follows the packet boundaries of one direction of an MQTT connection, whatever the TCP chunks,
 * and reports the type of each packet that starts. Reads only fixed headers (type byte and the
 * remaining-length varint, MQTT 3.1.1 §2.2 and 5.0 §2.1) and skips bodies, so it works for both
 * protocol versions and costs nothing per payload byte.
 */
export class MqttPacketScanner {
  /** Body bytes of the current packet still to skip. */
  #skip = 0
  /** Type of the packet whose header is being read, or -1 between packets. */
  #type = -1
  #length = 0
  #multiplier = 1

  /** The types of the packets that start in `chunk`, in order. */
  push(chunk: Uint8Array): number[] {
    const types: number[] = []
    let i = 0
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i)
        this.#skip -= n
        i += n
        continue
      }
      const byte = chunk[i++]!
      if (this.#type < 0) {
        this.#type = byte >> 4
        this.#length = 0
        this.#multiplier = 1
        continue
      }
      this.#length += (byte & 0x7f) * this.#multiplier
      this.#multiplier *= 128
      if ((byte & 0x80) !== 0) continue // more length bytes follow
      types.push(this.#type)
      this.#skip = this.#length
      this.#type = -1
    }
    return types
  }
}
