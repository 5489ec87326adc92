import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { Teardown } from '../helpers/teardown.js'

const COUNT = 2000

/**
 * An MQTT 5 broker announces in CONNACK how many QoS 1/2 publishes it takes unacknowledged
 * (Receive Maximum); Mosquitto drops a client that has more QoS 2 messages unacknowledged. With
 * routes whose `workers` add up to more, the service must stay under the broker's figure instead
 * of reconnecting in a loop.
 */
describe("the broker's Receive Maximum (MQTT 5)", () => {
  it('is respected across routes whose workers add up to more', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, mosquitto, collector, service } = await startBridgeWorld(td, {
      // Mosquitto announces max_inflight_messages as Receive Maximum to MQTT 5 clients.
      mosquitto: { extraConfig: 'max_inflight_messages 5\n' },
      collector: { topic: 'channels/#', qos: 2 },
      config: {
        qos: 2,
        mqtt: { protocol_version: 5 },
        routes: [
          { nats_topic: 'a', mqtt_topic: 'channels/a/messages', workers: 50 },
          { nats_topic: 'b', mqtt_topic: 'channels/b/messages', workers: 50 },
        ],
      },
    })
    await Promise.all([publishSequence(nats.url, 'a.seq', COUNT), publishSequence(nats.url, 'b.seq', COUNT)])
    await collector.waitForCount(2 * COUNT, 30_000)
    for (const r of ['a', 'b']) {
      const report = checkSequence(collector.payloads(`channels/${r}/messages/${r}/seq`), expectedSequence(COUNT))
      assert.ok(report.ok, `${r}: ${describeSequence(report)}`)
    }
    const lost = service.logs.filter((e) => e.message === 'MQTT connection lost; messages wait in the store')
    assert.equal(lost.length, 0, `the broker dropped the connection: ${mosquitto.output().slice(-500)}`)
  })
})

/**
 * Issue 9: MQTT 3.1.1 gives the client no Receive Maximum, and a stock Mosquitto
 * (`max_inflight_messages 20`) stops answering a 3.1.1 client with more QoS 2 messages
 * unacknowledged. In `auto` mode the service keeps 20 in flight there and says how to go faster.
 */
describe('QoS 2 over MQTT 3.1.1 against a broker that takes 20 in flight', () => {
  it('delivers everything without stalling, and the log says what to set to go faster', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, mosquitto, collector, service } = await startBridgeWorld(td, {
      mosquitto: { extraConfig: 'max_inflight_messages 20\n' },
      collector: { topic: 'channels/#', qos: 2 },
      config: { qos: 2, keepAlive: '5s', routes: [{ nats_topic: 'a', mqtt_topic: 'channels/a/messages', workers: 10 }] },
    })
    const advice = await service.waitForLog((e) => typeof e.message === 'string' && e.message.startsWith('QoS 2 over MQTT 3.1.1'), 5000)
    assert.match(String(advice.message), /protocol_version = 5/)
    assert.match(String(advice.message), /max_inflight/)
    await publishSequence(nats.url, 'a.seq', COUNT)
    await collector.waitForCount(COUNT, 60_000)
    const report = checkSequence(collector.payloads('channels/a/messages/a/seq'), expectedSequence(COUNT))
    assert.ok(report.ok, describeSequence(report))
    assert.equal(report.duplicates, 0)
    const lost = service.logs.filter((e) => e.message === 'MQTT connection lost; messages wait in the store')
    assert.equal(lost.length, 0, `the connection was lost: ${mosquitto.output().slice(-500)}`)
  })
})
