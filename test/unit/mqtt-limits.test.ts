import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import mqttPacket from 'mqtt-packet'
import { PublishLimits, publishPacketBytes, topicProblem } from '../../src/mqtt-limits.js'

// Issue 10: a topic or a size the broker refuses must be caught before the message is queued.
describe('what an MQTT broker takes', () => {
  it('refuses the topics Mosquitto closes the connection for, saying which character', () => {
    assert.equal(topicProblem('c/x+y'), "the topic contains the wildcard '+'")
    assert.equal(topicProblem('c/#'), "the topic contains the wildcard '#'")
    assert.equal(topicProblem('c/a\u0000b'), 'the topic contains U+0000, which MQTT does not allow in a topic')
    assert.match(topicProblem('c/a\u0001b') ?? '', /U\+0001/)
    assert.match(topicProblem('c/a\u007fb') ?? '', /U\+007F/)
    assert.match(topicProblem('c/a\u0085b') ?? '', /U\+0085/)
    assert.match(topicProblem('c/a\ufdd0b') ?? '', /U\+FDD0/)
    assert.match(topicProblem('c/a\ufffeb') ?? '', /U\+FFFE/)
    assert.match(topicProblem('c/a\u{1ffff}b') ?? '', /U\+1FFFF/)
    assert.match(topicProblem('c/a\ud800b') ?? '', /U\+D800/)
    assert.equal(topicProblem('c/\ufffd'), 'the subject is not valid UTF-8 (it decodes to U+FFFD)')
    assert.equal(topicProblem(''), 'the topic is empty')
    assert.equal(topicProblem(`c/${'x'.repeat(65_534)}`), 'the topic is longer than 65535 bytes')
  })

  it('takes ordinary topics, non-ASCII letters and characters outside the BMP', () => {
    for (const topic of ['channels/c1/messages/export/temp', 'c/température', 'c/😀', 'c/a b', 'c/$x', `c/${'x'.repeat(65_533)}`]) {
      assert.equal(topicProblem(topic), undefined, topic)
    }
  })

  it('sizes a PUBLISH packet exactly as mqtt-packet writes it, at each QoS and protocol version', () => {
    for (const protocolVersion of [4, 5] as const) {
      for (const qos of [0, 1, 2] as const) {
        for (const [topic, size] of [['t', 0], ['channels/c1/messages/é', 100], ['t', 200], ['t/x', 20_000], ['t', 3_000_000]] as const) {
          const packet = { cmd: 'publish' as const, topic, payload: Buffer.alloc(size), qos, retain: false, dup: false, ...(qos > 0 ? { messageId: 1 } : {}) }
          const written = mqttPacket.generate(packet, { protocolVersion }).length
          assert.equal(publishPacketBytes(topic, size, qos, protocolVersion), written, `${topic} ${size} bytes, QoS ${qos}, v${protocolVersion}`)
        }
      }
    }
  })

  it("applies the smaller of max_message_bytes and the broker's Maximum Packet Size, and nothing until one is known", () => {
    const limits = new PublishLimits({ qos: 1, protocolVersion: 5, maxMessageBytes: 0 })
    assert.equal(limits.tooLarge('t', 10_000_000), undefined)
    limits.setBrokerMax(100_000)
    assert.equal(limits.maxBytes, 100_000)
    assert.equal(limits.source, "the broker's Maximum Packet Size")
    assert.equal(limits.tooLarge('t', 99_990), undefined)
    assert.equal(limits.tooLarge('t', 100_000), publishPacketBytes('t', 100_000, 1, 5))
    limits.setConfig({ qos: 1, protocolVersion: 5, maxMessageBytes: 50_000 })
    assert.equal(limits.maxBytes, 50_000, 'a new [mqtt] forgets what the old broker said')
    limits.setBrokerMax(80_000)
    assert.equal(limits.maxBytes, 50_000)
    assert.equal(limits.source, '[mqtt] max_message_bytes')
    limits.setBrokerMax(undefined)
    assert.equal(limits.maxBytes, 50_000)
  })

  it('counts the topic in bytes of UTF-8, not in characters', () => {
    const limits = new PublishLimits({ qos: 0, protocolVersion: 4, maxMessageBytes: 100 })
    const topic = 'é'.repeat(40) // 80 bytes
    assert.equal(limits.tooLarge(topic, 10), undefined)
    assert.equal(limits.tooLarge(topic, 20), publishPacketBytes(topic, 20, 0, 4))
  })
})
