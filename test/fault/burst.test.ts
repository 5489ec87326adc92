import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { freePort } from '../helpers/free-port.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { checkSequence, describeSequence, startCollector } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { startNats } from '../helpers/nats-server.js'
import { startService } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 50_000

/** The value of a per-route counter in Prometheus text, or undefined if it is not there. */
function routeCounter(metrics: string, name: string, route: string): number | undefined {
  const m = new RegExp(`^${name}\\{route="${route}"\\} (\\d+)$`, 'm').exec(metrics)
  return m === null ? undefined : Number(m[1])
}

/**
 * A burst faster than the cloud link (SPEC §11): the official NATS client publishes as fast as it
 * can, the bridge sends at QoS 1 with 10 in flight. The store absorbs the difference; nothing is
 * dropped by a full subscription or queue, and order holds.
 */
for (const store of ['memory', 'file'] as const) {
  describe(`a burst of ${COUNT} messages at QoS 1 with the ${store} store${store === 'file' ? ' (the default)' : ''}`, () => {
    it(`delivers every message in order, and counts ${COUNT} received and ${COUNT} published`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const nats = td.use(await startNats(), 'nats')
      const mosquitto = td.use(await startMosquitto(), 'mosquitto')
      const collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/c1/messages/#', qos: 1 }), 'collector')
      const httpPort = await freePort()
      const service = td.use(
        await startService({
          httpPort,
          configText: bridgeConfigToml({
            natsUrl: nats.url,
            mqttUrl: `tcp://127.0.0.1:${mosquitto.port}`,
            httpPort,
            qos: 1,
            // The file store is what a gateway gets with no [store] table at all.
            ...(store === 'memory' ? { store: { type: 'memory' } } : {}),
          }),
        }),
        'service',
      )
      const starting = await service.waitForLog((e) => e.message === 'starting export service', 5000)
      assert.equal(starting.store, store)
      await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
      await service.waitForLog((e) => e.message === 'route subscribed', 10_000)

      const started = Date.now()
      const published = await publishSequence(nats.url, 'export.burst', COUNT, { batch: 1000 })
      await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 90_000, what: `${COUNT} distinct messages` }).catch(
        () => undefined, // the report below says what is missing
      )
      const elapsedMs = Date.now() - started
      const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
      assert.ok(report.ok, describeSequence(report))
      assert.ok(collector.messages.every((m) => m.topic === 'channels/c1/messages/export/burst'))

      // PUBACKs reach the bridge just after the reader has the messages: wait for the counter.
      const metrics = await waitFor(
        async () => {
          const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
          return routeCounter(text, 'export_messages_published_total', 'export') === COUNT && text
        },
        { timeoutMs: 10_000, what: `export_messages_published_total = ${COUNT}` },
      )
      assert.equal(routeCounter(metrics, 'export_messages_received_total', 'export'), COUNT)
      assert.equal(routeCounter(metrics, 'export_messages_published_total', 'export'), COUNT)
      assert.match(metrics, /^export_messages_dropped_total\{route="export",reason="overflow"\} 0$/m)
      assert.match(metrics, /^export_queue_messages\{route="export"\} 0$/m)
      t.diagnostic(
        `${store} store: ${COUNT} messages published to NATS in ${published.elapsedMs} ms; all at the broker after ${elapsedMs} ms ` +
          `(${Math.round((COUNT * 1000) / elapsedMs)} msg/s, ${report.duplicates} duplicates)`,
      )
    })
  })
}
