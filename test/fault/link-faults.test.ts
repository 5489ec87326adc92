import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 10_000
const RATE = 2000 // msg/s: a 5 s stream, so the fault lands in its middle
const FAULT_MS = 5000

/**
 * The cloud link fails in the middle of a stream (README, "Delivery guarantees"). Everything published must reach the
 * broker, in order; with QoS 2 exactly once. The fault is applied by a TCP proxy between the
 * bridge and Mosquitto; the reader is connected to Mosquitto directly.
 */
for (const fault of ['cut', 'silence'] as const) {
  for (const qos of [1, 2] as const) {
    describe(`a ${fault === 'cut' ? '5 s cut of the link (RST)' : '5 s silent link (no FIN, no RST)'} at QoS ${qos}`, () => {
      it(`delivers all ${COUNT} messages in order${qos === 2 ? ', each exactly once' : ''}`, async (t) => {
        const td = new Teardown()
        t.after(() => td.run())
        const { nats, proxy, collector, service } = await startBridgeWorld(td, {
          proxy: 'forward',
          collector: { topic: 'channels/c1/messages/#', qos: 2 },
          config: { qos, keepAlive: '2s', routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages', workers: 10 }] },
        })

        const publishing = publishSequence(nats.url, 'export.seq', COUNT, { ratePerSec: RATE, batch: 100 })
        await collector.waitForCount(1000, 10_000)
        const closedBefore = proxy.closedByProxy
        if (fault === 'cut') proxy.cut()
        else proxy.silence()
        const faultAt = collector.count
        await delay(FAULT_MS) // the fault lasts a fixed time, as in the acceptance scenario
        proxy.restore()
        await publishing

        await service.waitForLog((e) => e.message === 'MQTT connection lost; messages wait in the store', 30_000)
        if (fault === 'silence') assert.equal(proxy.closedByProxy, closedBefore, 'the proxy closed a socket: the dead link was announced, not detected')
        // QoS 1 may deliver a resent message twice: wait for every distinct payload, not a count.
        await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 60_000, what: `${COUNT} distinct messages` }).catch(() => undefined) // the report below says what is missing
        const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
        assert.ok(report.ok, describeSequence(report))
        assert.ok(faultAt < COUNT, 'the fault did not land in the middle of the stream')
        if (qos === 2) assert.equal(report.duplicates, 0, 'QoS 2 delivered a message twice')
        const reconnects = service.logs.filter((e) => e.message === 'connected to MQTT broker').length
        assert.ok(reconnects >= 2, 'the bridge never reconnected')
      })
    })
  }
}
