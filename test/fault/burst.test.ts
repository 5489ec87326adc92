import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { metricValue } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 50_000

/**
 * A burst faster than the cloud link (README, "Delivery guarantees"): the official NATS client publishes as fast as it
 * can, the bridge sends at QoS 1 with 10 in flight. The store absorbs the difference; nothing is
 * dropped by a full subscription or queue, and order holds.
 */
for (const store of ['memory', 'file'] as const) {
  describe(`a burst of ${COUNT} messages at QoS 1 with the ${store} store${store === 'file' ? ' (the default)' : ''}`, () => {
    it(`delivers every message in order, and counts ${COUNT} received and ${COUNT} published`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const { nats, collector, service, httpPort } = await startBridgeWorld(td, {
        collector: { topic: 'channels/c1/messages/#', qos: 1 },
        // The file store is what a gateway gets with no [store] table at all.
        config: { qos: 1, ...(store === 'memory' ? { store: { type: 'memory' } } : {}) },
      })
      // Logged before the HTTP server listens, so already there once the world is up.
      const starting = await service.waitForLog((e) => e.message === 'starting export service', 5000)
      assert.equal(starting.store, store)

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
          return metricValue(text, 'export_messages_published_total', { route: 'export' }) === COUNT && text
        },
        { timeoutMs: 10_000, what: `export_messages_published_total = ${COUNT}` },
      )
      assert.equal(metricValue(metrics, 'export_messages_received_total', { route: 'export' }), COUNT)
      assert.equal(metricValue(metrics, 'export_messages_published_total', { route: 'export' }), COUNT)
      assert.match(metrics, /^export_messages_dropped_total\{route="export",reason="overflow"\} 0$/m)
      assert.match(metrics, /^export_queue_messages\{route="export"\} 0$/m)
      t.diagnostic(
        `${store} store: ${COUNT} messages published to NATS in ${published.elapsedMs} ms; all at the broker after ${elapsedMs} ms ` +
          `(${Math.round((COUNT * 1000) / elapsedMs)} msg/s, ${report.duplicates} duplicates)`,
      )
    })
  })
}
