import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishRawSubject, publishSequence, sequencePayload } from '../helpers/nats-publisher.js'
import { appendOldMessages } from '../helpers/old-queue.js'
import { healthOf, scrapeMetric } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const GOOD_TOPIC = 'channels/c1/messages/export/good'

/** Subjects no MQTT topic can carry, as a careless publisher sends them (issue 10's table). */
async function publishPoison(natsUrl: string): Promise<number> {
  const nc = await connect({ servers: natsUrl, name: 'poison-publisher' })
  for (const subject of ['export.x+y', 'export.#', 'export.a\u0000b']) nc.publish(subject, 'poison')
  await nc.flush()
  await nc.close()
  // Bytes that are not UTF-8: only a raw client can send them.
  await publishRawSubject(natsUrl, Buffer.from([...Buffer.from('export.'), 0xff, 0xfe]), Buffer.from('poison'))
  return 4
}

// Issue 10, first row: "one NATS message on export.x+y (also #, or a NUL byte in the subject):
// the broker drops the connection on every resend; every route stops for good, the stall survives
// a restart, /health stays pass, nothing counted. At QoS 0 the message is lost but counted as
// published."
describe('a NATS subject that cannot be an MQTT topic (issue 10)', () => {
  for (const qos of [0, 1, 2] as const) {
    it(`QoS ${qos}: is refused before it is queued and counted, and the messages before and after it all arrive; one an older version queued is dead-lettered after a restart`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const world = await startBridgeWorld(td, { collector: { topic: 'channels/c1/messages/#', qos }, config: { qos } })
      const { nats, service, collector, httpPort } = world

      await publishSequence(nats.url, 'export.good', 10)
      const poisoned = await publishPoison(nats.url)
      await publishSequence(nats.url, 'export.good', 10, { payload: (i) => sequencePayload(10 + i) })
      await collector.waitForCount(20, 15_000)
      let report = checkSequence(collector.payloads(GOOD_TOPIC), expectedSequence(20))
      assert.ok(report.ok, describeSequence(report))
      assert.equal(collector.messages.filter((m) => m.topic !== GOOD_TOPIC).length, 0, 'nothing but the good messages reached the broker')
      assert.equal(await scrapeMetric(httpPort, 'export_messages_invalid_total', { route: 'export', reason: 'topic' }), poisoned)
      // The acks may come after the reader got the messages.
      const published = (): Promise<number> => scrapeMetric(httpPort, 'export_messages_published_total', { route: 'export' })
      await waitFor(async () => (await published()) >= 20, { timeoutMs: 10_000, what: '20 acknowledged' })
      assert.equal(await published(), 20, 'nothing counted as published that was not')
      const logged = service.logs.filter((e) => e.message === 'message skipped: its subject makes an invalid MQTT topic')
      assert.equal(logged.length, 1, 'logged once, rate-limited')
      assert.equal(logged[0]?.subject, 'export.x+y')
      assert.equal(service.logs.some((e) => e.message === 'MQTT connection lost; messages wait in the store'), false)

      // An older version let such a message into the store: it must not block the queue after an upgrade.
      await service.stop()
      appendOldMessages(service.storePath, 'export', [
        { topic: GOOD_TOPIC, payload: '20' },
        { topic: 'channels/c1/messages/export/x+y', payload: 'poison' },
        { topic: GOOD_TOPIC, payload: '21' },
        { topic: GOOD_TOPIC, payload: '22' },
      ])
      await service.restart()
      await service.waitForLog((e) => e.message === 'route subscribed', 10_000)
      await publishSequence(nats.url, 'export.good', 7, { payload: (i) => sequencePayload(23 + i) })
      await collector.waitForCount(30, 15_000)
      report = checkSequence(collector.payloads(GOOD_TOPIC), expectedSequence(30))
      assert.ok(report.ok, describeSequence(report))
      assert.equal(await scrapeMetric(httpPort, 'export_dead_lettered_total', { route: 'export', reason: 'topic' }), 1)
      const dead = service.logs.find((e) => e.message === 'message dead-lettered: it would block the queue; see mainflux-export dead-letters')
      assert.equal(dead?.topic, 'channels/c1/messages/export/x+y')
      assert.equal(dead?.bytes, 'poison'.length)
      // /health warns for an hour about it, and says why.
      const health = await healthOf(service)
      assert.equal(health.body.status, 'warn')
      assert.deepEqual(health.body.reasons, ['1 message(s) dead-lettered in the last hour'])
      await waitFor(async () => (await healthOf(service)).body.queued === 0, { timeoutMs: 10_000, what: 'the queue to drain' })
    })
  }
})
