import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import mqtt from 'mqtt'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { freePort } from '../helpers/free-port.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import type { Mosquitto } from '../helpers/mosquitto.js'
import { checkSequence, describeSequence, startCollector } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { startNats } from '../helpers/nats-server.js'
import { healthOf } from '../helpers/service-metrics.js'
import { startService } from '../helpers/service-process.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

/**
 * A reader with a persistent session (`clean: false`, QoS 1), as a cloud consumer of a broker that
 * persists its state. What the broker acknowledged to the bridge just before a restart is then
 * still delivered after it; with startCollector's clean session it would be lost by the broker,
 * not by the bridge, and the test would blame the bridge.
 */
async function startSessionReader(broker: Mosquitto, topic: string): Promise<{ payloads: () => string[]; close: () => Promise<void> }> {
  const client = mqtt.connect(broker.url, {
    clientId: `reader-${randomBytes(6).toString('hex')}`,
    clean: false,
    reconnectPeriod: 250,
    connectTimeout: 5000,
  })
  client.on('error', () => undefined) // refusals while the broker restarts: mqtt.js retries
  const payloads: string[] = []
  client.on('message', (_topic, payload) => payloads.push(payload.toString('utf8')))
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
    })
    await client.subscribeAsync(topic, { qos: 1 })
  } catch (err: unknown) {
    await client.endAsync(true)
    throw err
  }
  return { payloads: () => payloads, close: () => client.endAsync(true) }
}

/** The cloud broker is down or goes away (README, "Delivery guarantees"): the gateway keeps taking messages and sends them later, in order. */
describe('the cloud broker down or restarting', () => {
  it('starts and takes messages while the broker is unreachable, then sends all 1,000 in order once it is up', async (t) => {
    const COUNT = 1000
    const td = new Teardown()
    t.after(() => td.run())
    const nats = td.use(await startNats(), 'nats')
    // The broker's port, with nothing listening on it yet. The bridge reaches it through a proxy,
    // so that the backlog can be held back until the reader is subscribed (see below).
    const mqttPort = await freePort()
    const proxy = td.use(await startTcpProxy(mqttPort), 'proxy')
    const httpPort = await freePort()
    const service = td.use(
      await startService({
        httpPort,
        configText: bridgeConfigToml({ natsUrl: nats.url, mqttUrl: `tcp://127.0.0.1:${proxy.port}`, httpPort, qos: 1 }),
      }),
      'service',
    )
    await service.waitForLog((e) => e.message === 'MQTT connection failed; retrying', 10_000)
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)
    const down = await healthOf(service)
    assert.equal(down.status, 200)
    // Issue 10: the cloud link down is a warning (200), not a pass; NATS is up, so not a fail.
    assert.equal(down.body.status, 'warn')
    assert.equal(down.body.mqtt, 'disconnected')
    assert.notEqual(down.body.last_error, '')

    await publishSequence(nats.url, 'export.backlog', COUNT)
    await waitFor(async () => (await healthOf(service)).body.queued === COUNT, { timeoutMs: 10_000, what: `/health queued = ${COUNT}` })
    assert.equal((await healthOf(service)).body.mqtt, 'disconnected')
    assert.equal(service.logs.some((e) => e.message === 'connected to MQTT broker'), false)

    // The broker comes up; the bridge must not send its backlog before the reader is subscribed.
    proxy.cut()
    const mosquitto = td.use(await startMosquitto({ port: mqttPort }), 'mosquitto')
    const collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/c1/messages/#', qos: 1 }), 'collector')
    proxy.restore()

    // The bridge comes back on its own backoff (up to 30 s between attempts).
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 40_000)
    await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 20_000, what: `${COUNT} distinct messages` }).catch(
      () => undefined, // the report below says what is missing
    )
    const report = checkSequence(collector.payloads('channels/c1/messages/export/backlog'), expectedSequence(COUNT))
    assert.ok(report.ok, describeSequence(report))
    await waitFor(
      async () => {
        const { body } = await healthOf(service)
        return body.queued === 0 && body.mqtt === 'connected'
      },
      { timeoutMs: 10_000, what: '/health queued 0 and mqtt connected' },
    )
    // The fault is over: nothing is left to warn about, and its error is gone.
    const healed = await healthOf(service)
    assert.equal(healed.body.status, 'pass')
    assert.equal(healed.body.last_error, '')
  })

  it('delivers all 5,000 messages of a stream in order at QoS 1 when the broker is restarted in the middle of it', async (t) => {
    const COUNT = 5000
    const RATE = 1000 // msg/s: a 5 s stream, so the restart lands in its middle
    const td = new Teardown()
    t.after(() => td.run())
    const nats = td.use(await startNats(), 'nats')
    // A broker that persists, as a cloud broker does: it keeps what it acknowledged across the restart.
    const mosquitto = td.use(await startMosquitto({ persistence: true }), 'mosquitto')
    const reader = await startSessionReader(mosquitto, 'channels/c1/messages/#')
    td.add(() => reader.close(), 'reader')
    const httpPort = await freePort()
    const service = td.use(
      await startService({
        httpPort,
        configText: bridgeConfigToml({ natsUrl: nats.url, mqttUrl: `tcp://127.0.0.1:${mosquitto.port}`, httpPort, qos: 1 }),
      }),
      'service',
    )
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)

    const publishing = publishSequence(nats.url, 'export.seq', COUNT, { ratePerSec: RATE, batch: 100 })
    await waitFor(() => reader.payloads().length >= 1000, { timeoutMs: 10_000, what: '1000 messages before the restart' })
    const restartAt = reader.payloads().length
    await mosquitto.restart()
    await service.waitForLog((e) => e.message === 'MQTT connection lost; messages wait in the store', 10_000)
    await publishing

    await waitFor(() => new Set(reader.payloads()).size >= COUNT, { timeoutMs: 40_000, what: `${COUNT} distinct messages` }).catch(
      () => undefined, // the report below says what is missing
    )
    const report = checkSequence(reader.payloads(), expectedSequence(COUNT))
    assert.ok(report.ok, describeSequence(report))
    assert.ok(restartAt < COUNT, 'the restart did not land in the middle of the stream')
    assert.ok(service.logs.filter((e) => e.message === 'connected to MQTT broker').length >= 2, 'the bridge never reconnected')
    await waitFor(async () => (await healthOf(service)).body.queued === 0, { timeoutMs: 10_000, what: '/health queued 0' })
    t.diagnostic(`restart after ${restartAt} messages; ${report.duplicates} duplicates`)
  })
})
