import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import type { Collector } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence, sequencePayload } from '../helpers/nats-publisher.js'
import type { ServiceProcess } from '../helpers/service-process.js'
import { healthOf, queuedOf, scrapeMetric } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const GOOD_TOPIC = 'channels/c1/messages/export/good'
const BIG_BYTES = 1_000_000
const LIMIT = 100_000

/** Publishes good messages `from` … `from + count - 1` (payload: the number) on `export.good`. */
function goods(natsUrl: string, from: number, count: number): Promise<unknown> {
  return publishSequence(natsUrl, 'export.good', count, { payload: (i) => sequencePayload(from + i) })
}

/** Publishes the 1 MB message on `export.big`. */
async function big(natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, name: 'big-publisher' })
  nc.publish('export.big', Buffer.alloc(BIG_BYTES, 'b'))
  await nc.flush()
  await nc.close()
}

/** Waits for the good messages 0 … count - 1 at the reader, and checks their order. */
async function expectGoods(collector: Collector, count: number, timeoutMs: number): Promise<void> {
  await waitFor(() => new Set(collector.payloads(GOOD_TOPIC)).size >= count, { timeoutMs, what: `${count} good messages` }).catch(() => undefined) // the report says what is missing
  const report = checkSequence(collector.payloads(GOOD_TOPIC), expectedSequence(count))
  assert.ok(report.ok, describeSequence(report))
}

const DEAD_LETTERED = 'message dead-lettered: it would block the queue; see mainflux-export dead-letters'
const SKIPPED = 'message skipped: bigger than the MQTT broker takes'

/** The metric once it reached `value` (counters are scraped; acks may come after the reader got the messages). */
async function metricReaches(service: ServiceProcess, port: number, name: string, labels: Record<string, string>, value: number): Promise<void> {
  await waitFor(async () => (await scrapeMetric(port, name, labels)) >= value, { timeoutMs: 10_000, what: `${name} ${JSON.stringify(labels)} = ${value}` })
  assert.equal(await scrapeMetric(port, name, labels), value, `${name} ${JSON.stringify(labels)}; logs: ${JSON.stringify(service.logs.slice(-5))}`)
}

// Issue 10, second and third rows: "one 1 MB message to a broker with max_packet_size 100000: the
// broker resets the connection on every resend: 0 of 40 later messages delivered in 40 s, with
// MQTT 3.1.1 and 5"; "the same with message_size_limit and MQTT 5: Mosquitto answers PUBACK 0x95;
// mqtt.js calls it an invalid reason code; the connection hangs until keep-alive, over and over".
describe('a message bigger than the broker takes (issue 10)', () => {
  for (const qos of [0, 1, 2] as const) {
    it(`QoS ${qos}, MQTT 5: the limit learned at connect dead-letters what was queued before it was known (across a restart) and refuses the next one before it is queued; the messages before and after all arrive`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const { nats, service, collector, proxy, httpPort } = await startBridgeWorld(td, {
        proxy: 'cut',
        mosquitto: { extraConfig: `max_packet_size ${LIMIT}` },
        collector: { topic: 'channels/c1/messages/#', qos },
        config: { qos, mqtt: { protocol_version: 5 } },
        ready: ['connect failed', 'subscribed'],
      })
      // The cloud is unreachable: the limit is not known yet, the big message is queued with the others.
      await goods(nats.url, 0, 5)
      await big(nats.url)
      await goods(nats.url, 5, 5)
      await waitFor(async () => (await queuedOf(service)) === 11, { timeoutMs: 10_000, what: '11 queued' })
      await service.restart()
      proxy.restore()
      await expectGoods(collector, 10, 20_000)
      await metricReaches(service, httpPort, 'export_dead_lettered_total', { route: 'export', reason: 'too_large' }, 1)
      const dead = service.logs.find((e) => e.message === DEAD_LETTERED)
      assert.equal(dead?.bytes, BIG_BYTES)
      assert.match(String(dead?.detail), new RegExp(`the broker takes at most ${LIMIT} \\(the broker's Maximum Packet Size\\)`))

      // Now the limit is known: the next big message is refused before it is queued; the 40 after it arrive.
      await goods(nats.url, 10, 5)
      await big(nats.url)
      await goods(nats.url, 15, 40)
      await expectGoods(collector, 55, 10_000)
      await metricReaches(service, httpPort, 'export_messages_invalid_total', { route: 'export', reason: 'too_large' }, 1)
      const skipped = service.logs.find((e) => e.message === SKIPPED)
      assert.equal(skipped?.subject, 'export.big')
      assert.ok(Number(skipped?.bytes) > BIG_BYTES)
      assert.equal(collector.messages.filter((m) => m.topic !== GOOD_TOPIC).length, 0)
    })
  }

  it('QoS 0, MQTT 3.1.1: max_message_bytes, added while a big message waited, dead-letters it after the restart and refuses the next before it is queued', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, service, collector, proxy, httpPort } = await startBridgeWorld(td, {
      proxy: 'cut',
      mosquitto: { extraConfig: `max_packet_size ${LIMIT}` },
      collector: { topic: 'channels/c1/messages/#', qos: 0 },
      config: { qos: 0 },
      ready: ['connect failed', 'subscribed'],
    })
    await goods(nats.url, 0, 5)
    await big(nats.url)
    await goods(nats.url, 5, 5)
    await waitFor(async () => (await queuedOf(service)) === 11, { timeoutMs: 10_000, what: '11 queued' })
    // The operator learns the broker's limit (3.1.1 cannot say it) and sets it.
    await service.stop()
    const configPath = service.configPath!
    await writeFile(configPath, (await readFile(configPath, 'utf8')).replace('[mqtt]\n', `[mqtt]\nmax_message_bytes = ${LIMIT}\n`))
    await service.restart()
    proxy.restore()
    await expectGoods(collector, 10, 20_000)
    await metricReaches(service, httpPort, 'export_dead_lettered_total', { route: 'export', reason: 'too_large' }, 1)
    await goods(nats.url, 10, 10)
    await big(nats.url)
    await goods(nats.url, 20, 30)
    await expectGoods(collector, 50, 10_000)
    await metricReaches(service, httpPort, 'export_messages_invalid_total', { route: 'export', reason: 'too_large' }, 1)
    assert.match(String(service.logs.find((e) => e.message === SKIPPED)?.limit), /max_message_bytes/)
    assert.equal(service.logs.some((e) => e.message === 'MQTT connection lost; messages wait in the store'), false)
  })

  for (const qos of [1, 2] as const) {
    it(`QoS ${qos}, MQTT 3.1.1 and no limit known: the broker resets the connection each time; the message is dead-lettered after 3 drops and the 40 after it arrive`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const { nats, service, collector, httpPort } = await startBridgeWorld(td, {
        mosquitto: { extraConfig: `max_packet_size ${LIMIT}` },
        collector: { topic: 'channels/c1/messages/#', qos },
        config: { qos },
      })
      await goods(nats.url, 0, 5)
      await expectGoods(collector, 5, 10_000)
      await big(nats.url)
      await goods(nats.url, 5, 40)
      // Promptly: three connections of about a second each (the reconnect delay).
      await expectGoods(collector, 45, 20_000)
      await metricReaches(service, httpPort, 'export_dead_lettered_total', { route: 'export', reason: 'repeated_disconnect' }, 1)
      const dead = service.logs.find((e) => e.message === DEAD_LETTERED)
      assert.equal(dead?.topic, 'channels/c1/messages/export/big')
      assert.equal(dead?.bytes, BIG_BYTES)
      // Three drops with it at the head, or more: the acks of the messages just before it may be
      // lost with the reset connection, and each of those is then sent alone once, and cleared.
      const drops = service.logs.filter((e) => e.message === 'MQTT connection lost; messages wait in the store').length
      assert.ok(drops >= 3, service.logs.map((e) => `${String(e.ts)} ${String(e.message)}`).join('\n'))
      const health = await healthOf(service)
      assert.equal(health.body.status, 'warn')
      assert.deepEqual(health.body.reasons, ['1 message(s) dead-lettered in the last hour'])
      const status = (await (await fetch(`http://127.0.0.1:${httpPort}/status`)).json()) as { dead_letters: { total: number; recent: Array<{ reason: string; bytes: number }> } }
      assert.equal(status.dead_letters.total, 1)
      assert.deepEqual(status.dead_letters.recent.map((d) => [d.reason, d.bytes]), [['repeated_disconnect', BIG_BYTES]])
    })
  }

  for (const qos of [1, 2] as const) {
    it(`QoS ${qos}, MQTT 5 and message_size_limit: the broker's ${qos === 1 ? 'PUBACK' : 'PUBREC'} 0x95 rejects that message only; the connection and the 40 after it go on`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const { nats, service, collector, httpPort } = await startBridgeWorld(td, {
        // The helper's `max_queued_messages 0` (no limit, for the reader) makes Mosquitto 2.0.11 drop
        // the publisher's connection after any refused PUBLISH (its quota check then always fails):
        // a broker quirk, not what this test is about, so a finite limit is set here.
        mosquitto: { extraConfig: `message_size_limit ${LIMIT}\nmax_queued_messages 1000000` },
        collector: { topic: 'channels/c1/messages/#', qos },
        config: { qos, mqtt: { protocol_version: 5 } },
      })
      await goods(nats.url, 0, 5)
      await big(nats.url)
      await goods(nats.url, 5, 40)
      await expectGoods(collector, 45, 10_000)
      await metricReaches(service, httpPort, 'export_messages_rejected_total', { route: 'export' }, 1)
      await metricReaches(service, httpPort, 'export_messages_published_total', { route: 'export' }, 45)
      const refused = service.logs.find((e) => e.message === 'broker refused message')
      assert.equal(refused?.topic, 'channels/c1/messages/export/big')
      assert.match(String(refused?.err), /Packet too large/)
      assert.equal(service.logs.filter((e) => e.message === 'connected to MQTT broker').length, 1, `one connection all along: ${service.logs.map((e) => e.message).join(', ')}`)
      assert.equal(service.logs.some((e) => e.message === 'MQTT connection failed; retrying'), false)
      assert.equal((await healthOf(service)).body.queued, 0)
    })
  }
})
