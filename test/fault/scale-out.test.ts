import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import type { TestRoute } from '../helpers/bridge-config.js'
import { freePort } from '../helpers/free-port.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { startCollector } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { startNats } from '../helpers/nats-server.js'
import { scrapeMetric } from '../helpers/service-metrics.js'
import { startService } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 5000

/**
 * Several instances on one bus share the work (one shared JetStream durable) and lose nothing when
 * one is killed: what it had pulled but not stored comes again to the other after the ack wait,
 * what it had stored is sent when it is restarted (as systemd would).
 */
describe('two instances sharing a JetStream durable', () => {
  it('lose nothing when one of them is killed with SIGKILL mid-stream', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const nats = td.use(await startNats({ jetstream: true }), 'nats')
    const mosquitto = td.use(await startMosquitto(), 'mosquitto')
    const collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/#', qos: 1 }), 'collector')
    const route: TestRoute = { nats_topic: 'telemetry', mqtt_topic: 'channels/c1/messages', source: 'jetstream', durable: 'export-shared', workers: 20 }
    const start = async (name: string) => {
      const httpPort = await freePort()
      const service = await startService({
        httpPort,
        configText: bridgeConfigToml({ natsUrl: nats.url, mqttUrl: mosquitto.url.replace('mqtt://', 'tcp://'), httpPort, qos: 1, clientId: `export-${name}`, routes: [route] }),
      })
      td.add(() => service.close(), name)
      await service.waitForLog((e) => e.message === 'route subscribed', 15_000)
      return { service, httpPort }
    }
    const { service: a } = await start('a')
    const { httpPort: bPort } = await start('b')
    const publishedBy = (port: number): Promise<number> => scrapeMetric(port, 'export_messages_published_total', { route: 'telemetry' })

    const publishing = publishSequence(nats.url, 'telemetry.seq', COUNT, { jetstream: true, ratePerSec: 1000, batch: 50 })
    await collector.waitForCount(1000, 20_000)
    const killed = await a.kill('SIGKILL')
    const bAtKill = await publishedBy(bPort)
    assert.ok(bAtKill > 0, 'the two instances did not share the work')
    assert.equal(killed.signal, 'SIGKILL')
    await publishing
    const afterKill = collector.count
    assert.ok(afterKill < COUNT, 'the kill came after the stream ended')
    // Messages A pulled but had not stored yet are redelivered to B once the ack wait expires.
    await a.restart()
    await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 60_000, what: `${COUNT} distinct messages` }).catch(() => undefined)
    const received = new Set(collector.payloads())
    const missing = expectedSequence(COUNT).filter((p) => !received.has(p))
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} missing`)
    assert.ok((await publishedBy(bPort)) > bAtKill, 'the surviving instance did not go on with the stream')
    t.diagnostic(`${collector.count - received.size} duplicates after the kill (at-least-once)`)
  })
})
