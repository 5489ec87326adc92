import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Packet } from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { AckReasonCodes } from '../../src/sink/ack-reason-codes.js'

/** A PUBACK (4) or PUBREC (5) of MQTT 5 with a reason code, as a broker writes it. */
function ack(type: 4 | 5, id: number, code?: number): Buffer {
  const body = code === undefined ? [id >> 8, id & 0xff] : [id >> 8, id & 0xff, code]
  return Buffer.from([type << 4, body.length, ...body])
}

/** What a broker sends a publisher: acks with every kind of code, a PINGRESP, and a PUBLISH with a 2-byte length. */
function brokerBytes(): Buffer {
  const publish = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(300, 0x95), qos: 0, retain: false, dup: false }, { protocolVersion: 5 })
  return Buffer.concat([ack(4, 1), ack(4, 2, 0x95), Buffer.from([0xd0, 0]), ack(5, 3, 0x97), publish, ack(4, 258, 0x9e), ack(5, 4, 0x05), ack(4, 5, 0x10)])
}

/** Parses with mqtt-packet, as mqtt.js does; returns the packets and the parser's errors. */
function parse(chunks: readonly Buffer[]): { packets: Packet[]; errors: string[] } {
  const parser = mqttPacket.parser({ protocolVersion: 5 })
  const packets: Packet[] = []
  const errors: string[] = []
  parser.on('packet', (p: Packet) => packets.push(p))
  parser.on('error', (e: Error) => errors.push(e.message))
  for (const c of chunks) parser.parse(c)
  return { packets, errors }
}

describe('MQTT 5 ack reason codes mqtt-packet does not list (issue 10)', () => {
  it('is what makes mqtt-packet fail without the rewrite (the reason for ack-reason-codes.ts)', () => {
    assert.deepEqual(parse([ack(4, 2, 0x95)]).errors, ['Invalid puback reason code'])
  })

  it('rewrites only unlisted codes, in place, however the bytes are split into reads, and gives the broker codes back', () => {
    const bytes = brokerBytes()
    for (let split = 0; split <= bytes.length; split++) {
      const copy = Buffer.from(bytes)
      const chunks = [copy.subarray(0, split), copy.subarray(split)]
      const codes = new AckReasonCodes()
      for (const c of chunks) codes.scan(c)
      const { packets, errors } = parse(chunks)
      assert.deepEqual(errors, [], `split at ${split}`)
      for (const p of packets) codes.restore(p)
      const acks = packets.filter((p) => p.cmd === 'puback' || p.cmd === 'pubrec').map((p) => [p.cmd, p.messageId, (p as { reasonCode?: number }).reasonCode])
      assert.deepEqual(acks, [
        ['puback', 1, 0],
        ['puback', 2, 0x95],
        ['pubrec', 3, 0x97],
        ['puback', 258, 0x9e],
        ['pubrec', 4, 0x05],
        ['puback', 5, 0x10],
      ], `split at ${split}`)
      assert.equal(codes.rewritten, 3)
      // The PUBLISH payload is full of 0x95 bytes: the scan skipped it, it is untouched.
      assert.ok((packets.find((p) => p.cmd === 'publish') as { payload: Buffer }).payload.every((b) => b === 0x95))
    }
  })

  it('follows byte by byte', () => {
    const bytes = brokerBytes()
    const codes = new AckReasonCodes()
    const chunks = [...bytes].map((b) => Buffer.from([b]))
    for (const c of chunks) codes.scan(c)
    const { packets, errors } = parse(chunks)
    assert.deepEqual(errors, [])
    assert.equal(packets.length, 8)
    assert.equal(codes.rewritten, 3)
  })
})
