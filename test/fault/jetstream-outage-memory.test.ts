import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import type { TestRoute } from '../helpers/bridge-config.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { freePort } from '../helpers/free-port.js'
import { consumerState, unacked, watchProgressAcks } from '../helpers/jetstream-consumer.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { scrapeMetric } from '../helpers/service-metrics.js'
import { startService } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 2000
const ROUTE: TestRoute = { nats_topic: 'telemetry', mqtt_topic: 'channels/c1/messages', source: 'jetstream', stream: 'EXPORT', durable: 'export-shared', workers: 50 }
/** Past the memory store's ack wait (20 s), by a margin for a loaded machine. */
const OUTAGE_MS = 24_000

/**
 * Issue 13: with the memory store an instance holds JetStream messages unacked until the broker has
 * them. A cloud outage longer than the consumer's ack wait must not make JetStream redeliver them
 * (to the instance itself, or to another one on the durable, which would send duplicates); once
 * the holder dies, another instance on the durable gets them within a minute.
 */
describe('two instances sharing a JetStream durable with the memory store', () => {
  it('redeliver nothing a live instance holds through an outage longer than the ack wait, and everything once it is killed', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    // A: its cloud link is cut. It pulls every message before B exists.
    const { nats, mosquitto, collector, service: a, httpPort: aPort } = await startBridgeWorld(td, {
      nats: { jetstream: true },
      proxy: 'cut',
      collector: { topic: 'channels/c1/messages/#', qos: 1 },
      config: { qos: 1, store: { type: 'memory' }, routes: [ROUTE], clientId: 'export-a' },
      ready: ['subscribed'],
      readyTimeoutMs: 15_000,
    })
    await publishSequence(nats.url, 'telemetry.seq', COUNT, { jetstream: true, batch: 500 })
    await waitFor(async () => (await scrapeMetric(aPort, 'export_messages_received_total', { route: 'telemetry' })) >= COUNT, { timeoutMs: 15_000, what: `A to receive ${COUNT}` })
    const heldSince = Date.now()
    const progress = td.use(await watchProgressAcks(nats.url, 'EXPORT', 'export-shared'), 'progress watch')

    // B: same durable, cloud link up: anything JetStream gave it would reach the collector.
    const bPort = await freePort()
    const b = await startService({
      httpPort: bPort,
      configText: bridgeConfigToml({ natsUrl: nats.url, mqttUrl: mosquitto.url.replace('mqtt://', 'tcp://'), httpPort: bPort, qos: 1, clientId: 'export-b', store: { type: 'memory' }, routes: [ROUTE] }),
    })
    td.add(() => b.close(), 'service b')
    await b.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    await b.waitForLog((e) => e.message === 'route subscribed', 15_000)

    await delay(OUTAGE_MS - (Date.now() - heldSince)) // the outage lasts past the ack wait
    const state = await consumerState(nats.url, 'EXPORT', 'export-shared')
    assert.ok(Date.now() - heldSince > state.ackWaitMs, `the outage (${Date.now() - heldSince} ms) did not outlast the ack wait (${state.ackWaitMs} ms)`)
    assert.equal(state.redelivered, 0, 'JetStream redelivered messages a live instance holds')
    assert.equal(state.ackPending, COUNT, `${COUNT - state.ackPending} messages were acked before the broker had them`)
    assert.equal(collector.count, 0, 'B sent messages that A holds')
    assert.equal(progress.seqs.size, COUNT, `only ${progress.seqs.size} of ${COUNT} held messages got an in-progress ack`)
    const perSecond = (progress.count * 1000) / (Date.now() - heldSince)
    t.diagnostic(`in-progress acks for ${COUNT} held: ${progress.count} in ${((Date.now() - heldSince) / 1000).toFixed(1)} s (${perSecond.toFixed(0)}/s, ${((progress.wireBytes * 1000) / (Date.now() - heldSince) / 1024).toFixed(1)} KiB/s)`)

    await a.kill('SIGKILL')
    const killedAt = Date.now()
    await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 60_000, what: `${COUNT} distinct messages from B` }).catch(() => undefined) // the report says what is missing
    const seconds = (Date.now() - killedAt) / 1000
    const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
    assert.ok(report.ok, `${describeSequence(report)} (${seconds.toFixed(1)} s after the kill)`)
    assert.ok((await scrapeMetric(bPort, 'export_messages_redelivered_total', { route: 'telemetry' })) >= COUNT, 'B did not count the redeliveries')
    await waitFor(async () => unacked(await consumerState(nats.url, 'EXPORT', 'export-shared')) === 0, { timeoutMs: 10_000, what: 'every message acked by B' })
    t.diagnostic(`${COUNT}/${COUNT} sent by B ${seconds.toFixed(1)} s after A was killed; ${report.duplicates} duplicates`)
  })
})
