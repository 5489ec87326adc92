import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import type { TestRoute } from '../helpers/bridge-config.js'
import { consumerState, unacked } from '../helpers/jetstream-consumer.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { scrapeMetric } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 2000
const ROUTE: TestRoute = { nats_topic: 'telemetry', mqtt_topic: 'channels/c1/messages', source: 'jetstream', stream: 'EXPORT', workers: 50 }
const DURABLE = 'export-telemetry'
/** What the issue asks: a crash costs less than a minute, not the hour of the old ack wait. */
const REDELIVERY_DEADLINE_MS = 60_000

/**
 * Issue 13: JetStream as the buffer, with `[store] type = "memory"`. RAM does not survive a crash,
 * so a JetStream message may be acked only once the broker has it. With the cloud link cut, every
 * message the service received must still be unacked on the consumer; after a `kill -9` and a
 * restart with the link back, JetStream redelivers them within a minute, and all of them arrive.
 * Acking on receipt (before the broker has the message) fails both checks, on every run.
 */
describe('a JetStream route with the memory store across a kill -9', () => {
  it(`acks none of ${COUNT} messages held while the cloud is cut, and sends them all within a minute of a restart`, async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, proxy, collector, service, httpPort } = await startBridgeWorld(td, {
      nats: { jetstream: true },
      proxy: 'cut',
      collector: { topic: 'channels/c1/messages/#', qos: 1 },
      config: { qos: 1, store: { type: 'memory' }, routes: [ROUTE] },
      ready: ['subscribed'],
      readyTimeoutMs: 15_000,
    })

    await publishSequence(nats.url, 'telemetry.seq', COUNT, { jetstream: true, batch: 500 })
    await waitFor(async () => (await scrapeMetric(httpPort, 'export_messages_received_total', { route: 'telemetry' })) >= COUNT, {
      timeoutMs: 15_000,
      what: `the service to receive ${COUNT} messages`,
    })
    // Every message is delivered and none acked: the service holds them all.
    const held = await waitFor(
      async () => {
        const s = await consumerState(nats.url, 'EXPORT', DURABLE)
        return s.deliveredSeq === COUNT && s.ackPending === COUNT && s
      },
      { timeoutMs: 10_000, what: `${COUNT} messages delivered and pending on the consumer` },
    ).catch(async () => consumerState(nats.url, 'EXPORT', DURABLE))
    assert.equal(unacked(held), COUNT, `${COUNT - unacked(held)} messages were acked before the broker had them`)
    assert.equal(held.ackPending, COUNT)
    assert.equal(collector.count, 0, 'something reached the broker through a cut link')

    const killed = await service.kill('SIGKILL')
    assert.equal(killed.signal, 'SIGKILL')
    proxy.restore()
    const restartedAt = Date.now()
    await service.restart()
    await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: REDELIVERY_DEADLINE_MS, what: `${COUNT} distinct messages` }).catch(() => undefined) // the report says what is missing
    const seconds = (Date.now() - restartedAt) / 1000
    const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
    assert.ok(report.ok, `${describeSequence(report)} (${seconds.toFixed(1)} s after the restart)`)
    await waitFor(async () => unacked(await consumerState(nats.url, 'EXPORT', DURABLE)) === 0, { timeoutMs: 10_000, what: 'every message acked once delivered' })
    t.diagnostic(`${COUNT}/${COUNT} delivered ${seconds.toFixed(1)} s after the restart (ack wait ${held.ackWaitMs} ms); ${report.duplicates} duplicates`)
  })
})
