// The MQTT packet scanner behind the proxy's silenceAfterPubrec(): it must find packet types
// however TCP cuts the stream.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MqttPacketScanner, MqttPacketType } from '../helpers/mqtt-packet-scanner.js'

/** A packet of `type` with a body of `bodyLength` bytes (remaining length as a varint). */
function packet(type: number, bodyLength: number): Buffer {
  const length: number[] = []
  let n = bodyLength
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    length.push(byte)
  } while (n > 0)
  // Body bytes that look like headers, to catch a scanner that does not skip them.
  return Buffer.concat([Buffer.from([type << 4, ...length]), Buffer.alloc(bodyLength, 0x50)])
}

const STREAM = Buffer.concat([
  packet(2, 2), // CONNACK
  packet(MqttPacketType.PUBLISH, 300), // two length bytes
  packet(MqttPacketType.PUBREC, 2),
  packet(MqttPacketType.PUBLISH, 20_000), // three length bytes
  packet(MqttPacketType.PUBCOMP, 2),
  packet(13, 0), // PINGRESP, empty body
  packet(MqttPacketType.PUBREC, 2),
])
const TYPES = [2, 3, 5, 3, 7, 13, 5]

describe('MQTT packet scanner', () => {
  it('finds every packet type in one chunk', () => {
    assert.deepEqual(new MqttPacketScanner().push(STREAM), TYPES)
  })

  it('finds the same types when the stream is cut at every byte', () => {
    const scanner = new MqttPacketScanner()
    const types: number[] = []
    for (let i = 0; i < STREAM.length; i++) types.push(...scanner.push(STREAM.subarray(i, i + 1)))
    assert.deepEqual(types, TYPES)
  })

  it('finds the same types for chunks cut at every position into two', () => {
    for (let cut = 0; cut <= STREAM.length; cut += 97) {
      const scanner = new MqttPacketScanner()
      assert.deepEqual([...scanner.push(STREAM.subarray(0, cut)), ...scanner.push(STREAM.subarray(cut))], TYPES, `cut at ${cut}`)
    }
  })
})
