import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { queuedOf, scrapeMetric } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 5000

/**
 * With the file store, a message received more than 100 ms before a `kill -9` is still sent after
 * the restart, also when the restart happens while the cloud is still unreachable (README,
 * "Delivery guarantees"; docs/store.md, "Group commit and the 100 ms guarantee").
 */
describe('the file store across a kill -9', () => {
  it('sends, after a restart with the link still cut, every message received before the kill', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, proxy, collector, service, httpPort } = await startBridgeWorld(td, {
      proxy: 'forward',
      collector: { topic: 'channels/c1/messages/#', qos: 1 },
      config: {
        qos: 1,
        keepAlive: '2s',
        store: { type: 'file' },
        routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages', workers: 10 }],
      },
    })

    // Stream, cut the cloud link in the middle, keep streaming into the store.
    const publishing = publishSequence(nats.url, 'export.seq', COUNT, { ratePerSec: 2500, batch: 50 })
    await collector.waitForCount(500, 10_000)
    proxy.cut()
    await publishing
    await waitFor(async () => (await scrapeMetric(httpPort, 'export_messages_received_total', { route: 'export' })) === COUNT, { timeoutMs: 10_000, what: 'the service to receive every message' })
    const waiting = await queuedOf(service)
    assert.ok(waiting > 0, 'nothing was waiting in the store at the kill: the test did not test the store')
    // More than 100 ms after the last receipt (the group commit's guarantee), then a crash.
    await new Promise((resolve) => setTimeout(resolve, 150))
    const killed = await service.kill('SIGKILL')
    assert.equal(killed.signal, 'SIGKILL')
    const deliveredBeforeKill = collector.count

    // Restart while the link is still cut: the backlog is found on disk.
    await service.restart()
    await waitFor(async () => (await queuedOf(service)) >= waiting, { timeoutMs: 10_000, what: `the restarted service to report ${waiting} queued` })
    assert.equal(collector.count, deliveredBeforeKill, 'messages were delivered while the link was cut')

    proxy.restore()
    await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 60_000, what: `${COUNT} distinct messages` }).catch(() => undefined)
    const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
    assert.ok(report.ok, describeSequence(report))
    await waitFor(async () => (await queuedOf(service)) === 0, { timeoutMs: 10_000, what: 'the store to empty' })
    t.diagnostic(`${waiting} waited on disk across the kill; ${report.duplicates} duplicates (in flight at the kill)`)
  })

  it('loses the backlog with the memory store (what the file store protects against)', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, service } = await startBridgeWorld(td, { proxy: 'cut', collector: false, config: { store: { type: 'memory' } }, ready: ['subscribed'] })
    await publishSequence(nats.url, 'export.seq', 100)
    await waitFor(async () => (await queuedOf(service)) === 100, { timeoutMs: 10_000, what: '100 queued' })
    await service.kill('SIGKILL')
    await service.restart()
    assert.equal(await queuedOf(service), 0)
  })
})
