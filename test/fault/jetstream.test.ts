import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 10_000

/**
 * `source = "jetstream"` (README, "Delivery guarantees"): a message published to the stream is sent even if the
 * service was down when it was published.
 */
for (const store of ['file', 'memory'] as const) {
  describe(`a JetStream route with the ${store} store`, () => {
    it(`delivers ${COUNT} messages published to the stream while the service was stopped`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const { nats, collector, service } = await startBridgeWorld(td, {
        nats: { jetstream: true },
        collector: { topic: 'channels/c1/messages/#', qos: 1 },
        config: {
          qos: 1,
          store: { type: store },
          routes: [{ nats_topic: 'telemetry', mqtt_topic: 'channels/c1/messages', source: 'jetstream', stream: 'EXPORT', workers: 50 }],
        },
        ready: ['subscribed'],
        readyTimeoutMs: 15_000,
      })
      // The first start created the stream and the durable consumer; now the service goes away.
      const first = await service.stop()
      assert.equal(first.code, 0)

      await publishSequence(nats.url, 'telemetry.seq', COUNT, { jetstream: true, batch: 500 })
      const nc = await connect({ servers: nats.url })
      try {
        const info = await (await jetstreamManager(nc)).streams.info('EXPORT')
        assert.equal(info.state.messages, COUNT, 'the stream does not hold the messages')
      } finally {
        await nc.close()
      }
      assert.equal(collector.count, 0, 'something was delivered while the service was stopped')

      await service.restart()
      await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 60_000, what: `${COUNT} distinct messages` }).catch(() => undefined)
      const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
      assert.ok(report.ok, describeSequence(report))
      assert.equal(collector.messages[0]!.topic, 'channels/c1/messages/telemetry/seq')
    })
  })
}
