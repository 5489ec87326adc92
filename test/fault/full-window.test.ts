import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { scrapeMetric } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 20_000
/** Each way: a 200 ms round trip, so a burst fills a window of thousands. */
const HALF_RTT_MS = 100
const FAULT_MS = 3000
/** The window this test is about: far beyond what mqtt.js resends quickly by itself. */
const FULL_WINDOW = 1000

/**
 * Issue 9: the window belongs to the connection and grows with the link, so a fault can catch
 * thousands of messages unacknowledged. A cut or a silent link with a full window (QoS 1 over MQTT
 * 3.1.1; QoS 2 over MQTT 5, where the broker's session keeps exactly-once) loses nothing, keeps
 * the order, and the resend after the reconnect is not one message per round trip.
 */
for (const fault of ['cut', 'silence'] as const) {
  for (const { qos, protocolVersion } of [
    { qos: 1, protocolVersion: 4 },
    { qos: 2, protocolVersion: 5 },
  ] as const) {
    describe(`a ${fault === 'cut' ? 'cut (RST)' : 'silent'} ${HALF_RTT_MS * 2} ms link with a full window at QoS ${qos} over MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}`, () => {
      it(`delivers all ${COUNT} messages in order${qos === 2 ? ', each exactly once' : ''}`, async (t) => {
        const td = new Teardown()
        t.after(() => td.run())
        const { nats, proxy, collector, service, httpPort } = await startBridgeWorld(td, {
          proxy: 'forward',
          proxyDelayMs: HALF_RTT_MS,
          collector: { topic: 'channels/c1/messages/#', qos: 2 },
          // The default route settings: workers 10 must not cap the window any more.
          config: { qos, keepAlive: '2s', mqtt: { protocol_version: protocolVersion }, routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages', workers: 10 }] },
        })
        const inFlight = (): Promise<number> => scrapeMetric(httpPort, 'export_messages_in_flight', { route: 'export' })

        const publishing = publishSequence(nats.url, 'export.seq', COUNT)
        const full = await waitFor(async () => {
          const n = await inFlight()
          return n >= FULL_WINDOW && n
        }, { timeoutMs: 20_000, intervalMs: 20, what: `${FULL_WINDOW} messages in flight` })
        if (fault === 'cut') proxy.cut()
        else proxy.silence()
        const faultAt = collector.count
        await delay(FAULT_MS)
        proxy.restore()
        await publishing

        await service.waitForLog((e) => e.message === 'MQTT connection lost; messages wait in the store', 30_000)
        await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 90_000, what: `${COUNT} distinct messages` }).catch(() => undefined) // the report below says what is missing
        const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
        assert.ok(report.ok, describeSequence(report))
        assert.ok(faultAt < COUNT, 'the fault did not land in the middle of the stream')
        if (qos === 2) assert.equal(report.duplicates, 0, 'QoS 2 delivered a message twice')
        const reconnected = service.logs.find((e) => e.message === 'connected to MQTT broker' && typeof e.resent === 'number')
        assert.ok(reconnected !== undefined, 'the reconnect resent nothing')
        t.diagnostic(`in flight at the fault: ${full}; resent after the reconnect: ${String(reconnected.resent)}`)
      })
    })
  }
}
