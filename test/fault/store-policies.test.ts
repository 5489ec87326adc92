import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TestRoute } from '../helpers/bridge-config.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { publishSequence } from '../helpers/nats-publisher.js'
import { queuedOf, scrapeMetric } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

/** Fixed-width payloads, so every message counts the same bytes against `max_bytes`. */
const pad = (i: number): string => String(i).padStart(10, '0')
const payload = (i: number): Uint8Array => Buffer.from(pad(i))
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => pad(from + k))
/** Topic `channels/c1/messages/export/seq` (31) + payload (10) + the store's 64 bytes of overhead. */
const MESSAGE_BYTES = 31 + 10 + 64

/** NATS, Mosquitto behind a proxy that is cut from the start (the cloud is down), the service, a reader. */
async function world(td: Teardown, store: Record<string, unknown>, routes?: TestRoute[]) {
  return startBridgeWorld(td, { proxy: 'cut', collector: { topic: 'channels/#', qos: 1 }, config: { qos: 1, store, routes }, ready: ['subscribed'] })
}

async function dropped(httpPort: number, reason: string): Promise<number> {
  return scrapeMetric(httpPort, 'export_messages_dropped_total', { route: 'export', reason })
}

for (const type of ['file', 'memory'] as const) {
  describe(`the ${type} store's bounds with the cloud down`, () => {
    it('drop_oldest keeps the newest messages that fit in max_bytes and counts the rest', async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const w = await world(td, { type, max_bytes: 100 * MESSAGE_BYTES, overflow: 'drop_oldest' })
      await publishSequence(w.nats.url, 'export.seq', 150, { payload })
      await waitFor(async () => (await dropped(w.httpPort, 'overflow')) === 50, { timeoutMs: 10_000, what: '50 dropped' })
      assert.equal(await queuedOf(w.service), 100)
      await w.service.waitForLog((e) => e.message === 'messages dropped from the store' && e.reason === 'overflow', 5000)
      w.proxy.restore()
      await w.collector.waitForCount(100, 30_000)
      const report = checkSequence(w.collector.payloads(), range(50, 150))
      assert.ok(report.ok, describeSequence(report))
      await waitFor(async () => (await queuedOf(w.service)) === 0, { timeoutMs: 10_000, what: 'an empty store' })
      assert.equal(await dropped(w.httpPort, 'overflow'), 50)
    })

    it('drop_newest keeps the oldest messages that fit in max_bytes and counts the rest', async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const w = await world(td, { type, max_bytes: 100 * MESSAGE_BYTES, overflow: 'drop_newest' })
      await publishSequence(w.nats.url, 'export.seq', 150, { payload })
      await waitFor(async () => (await dropped(w.httpPort, 'overflow')) === 50, { timeoutMs: 10_000, what: '50 dropped' })
      w.proxy.restore()
      await w.collector.waitForCount(100, 30_000)
      const report = checkSequence(w.collector.payloads(), range(0, 100))
      assert.ok(report.ok, describeSequence(report))
    })

    it('drops messages older than max_age, unsent, and counts them', async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const w = await world(td, { type, max_age: '2s' })
      await publishSequence(w.nats.url, 'export.seq', 50, { payload })
      await waitFor(async () => (await dropped(w.httpPort, 'max_age')) === 50, { timeoutMs: 10_000, what: '50 expired' })
      await publishSequence(w.nats.url, 'export.seq', 50, { payload: (i) => payload(50 + i) })
      await waitFor(async () => (await queuedOf(w.service)) === 50, { timeoutMs: 5000, what: '50 queued' })
      w.proxy.restore()
      await w.collector.waitForCount(50, 30_000)
      const report = checkSequence(w.collector.payloads(), range(50, 100))
      assert.ok(report.ok, describeSequence(report))
      assert.equal(await dropped(w.httpPort, 'max_age'), 50)
    })
  })
}

describe('route priority', () => {
  it('drains the higher-priority route first when the backlog is sent', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const w = await world(td, { type: 'file' }, [
      { nats_topic: 'bulk', mqtt_topic: 'channels/bulk/messages', priority: 0, workers: 10 },
      { nats_topic: 'alarms', mqtt_topic: 'channels/alarms/messages', priority: 5, workers: 10 },
    ])
    // The bulk backlog is older: without priorities it would go first.
    await publishSequence(w.nats.url, 'bulk.seq', 2000)
    await publishSequence(w.nats.url, 'alarms.seq', 200)
    await waitFor(async () => (await queuedOf(w.service)) === 2200, { timeoutMs: 10_000, what: '2200 queued' })
    w.proxy.restore()
    await w.collector.waitForCount(2200, 30_000)
    const topics = w.collector.messages.map((m) => m.topic)
    const lastAlarm = topics.lastIndexOf('channels/alarms/messages/alarms/seq')
    const firstBulk = topics.indexOf('channels/bulk/messages/bulk/seq')
    assert.ok(lastAlarm < firstBulk, `bulk message at ${firstBulk} arrived before the last alarm at ${lastAlarm}`)
    for (const [subject, count] of [['alarms', 200], ['bulk', 2000]] as const) {
      const report = checkSequence(w.collector.payloads(`channels/${subject}/messages/${subject}/seq`), Array.from({ length: count }, (_, i) => String(i)))
      assert.ok(report.ok, `${subject}: ${describeSequence(report)}`)
    }
  })
})
