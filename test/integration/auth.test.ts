import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import type { BridgeConfigOptions } from '../helpers/bridge-config.js'
import { freePort } from '../helpers/free-port.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import type { Mosquitto } from '../helpers/mosquitto.js'
import { checkSequence, describeSequence, startCollector } from '../helpers/mqtt-collector.js'
import type { Collector } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { startNats } from '../helpers/nats-server.js'
import type { NatsServer } from '../helpers/nats-server.js'
import { assertNoSecrets, serviceOutput } from '../helpers/service-output.js'
import { startService } from '../helpers/service-process.js'
import type { ServiceProcess } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const THING = { username: 'thing-auth', password: `key-${randomBytes(12).toString('hex')}` }
const WRONG_PASSWORD = `wrong-${randomBytes(12).toString('hex')}`
const READER = { username: 'reader', password: `reader-${randomBytes(12).toString('hex')}` }
// The thing may publish on its own channel only, as a Mainflux thing connected to one channel.
const ACL = ['user thing-auth', 'topic write channels/c1/messages/#', '', 'user reader', 'topic read channels/#'].join('\n')
const SECRETS = { 'MQTT password': THING.password, 'wrong MQTT password': WRONG_PASSWORD, 'reader password': READER.password }
// What Mosquitto answers to bad credentials (MQTT 3.1.1 CONNACK 5, or 4), as mqtt.js words it.
const REFUSED = /not authori[sz]ed|bad user ?name or password/i

/** The cloud broker authenticates the bridge by username (thing id) and password (thing key), with an ACL. */
describe('username, password and ACL on the cloud broker', () => {
  const td = new Teardown()
  let nats: NatsServer
  let mosquitto: Mosquitto
  let collector: Collector

  before(async () => {
    nats = td.use(await startNats(), 'nats')
    mosquitto = td.use(await startMosquitto({ users: [THING, READER], acl: ACL }), 'mosquitto')
    collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/#', qos: 1, ...READER }), 'collector')
  })
  after(() => td.run())

  function config(httpPort: number, o: Partial<BridgeConfigOptions>): string {
    return bridgeConfigToml({ natsUrl: nats.url, mqttUrl: `tcp://127.0.0.1:${mosquitto.port}`, httpPort, username: THING.username, ...o })
  }

  async function startBridge(t: TestContext, o: Partial<BridgeConfigOptions>): Promise<{ service: ServiceProcess; httpPort: number }> {
    const httpPort = await freePort()
    const service = await startService({ httpPort, configText: config(httpPort, o) })
    t.after(() => service.close())
    return { service, httpPort }
  }

  async function metricsText(httpPort: number): Promise<string> {
    return (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  }

  it('logs the broker\'s refusal of a wrong password once, reports it on /health, keeps the messages, and never shows the password', async (t) => {
    const COUNT = 20
    const { service, httpPort } = await startBridge(t, { password: WRONG_PASSWORD })
    const warn = await service.waitForLog((e) => e.message === 'MQTT connection failed; retrying', 10_000)
    assert.equal(warn.level, 'warn')
    assert.match(String(warn.err), REFUSED)
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)

    await publishSequence(nats.url, 'export.refused', COUNT)
    const { status, body } = await waitFor(
      async () => {
        const h = await service.health()
        return (h.body as { queued?: number }).queued === COUNT && h
      },
      { timeoutMs: 10_000, what: `/health queued = ${COUNT}` },
    )
    assert.equal(status, 200)
    const h = body as Record<string, unknown>
    assert.equal(h.status, 'warn')
    assert.equal(h.mqtt, 'disconnected')
    assert.match(String(h.last_error), REFUSED)
    // The bridge retries; the same refusal is not logged once per attempt.
    await waitFor(() => (mosquitto.output().match(/disconnected, not authorised/g) ?? []).length >= 3, {
      timeoutMs: 15_000,
      what: 'three refused connection attempts',
    })
    assert.equal(service.logs.filter((e) => e.message === 'MQTT connection failed; retrying').length, 1)
    assert.equal(service.logs.some((e) => e.message === 'connected to MQTT broker'), false)
    assert.equal(collector.payloads('channels/c1/messages/export/refused').length, 0)
    assertNoSecrets(JSON.stringify(body), SECRETS, '/health')
    assertNoSecrets(await metricsText(httpPort), SECRETS, '/metrics')

    // The operator fixes the password and reloads: what waited is sent, in order.
    await writeFile(service.configPath!, config(httpPort, { password: THING.password }))
    const reload = await fetch(`http://127.0.0.1:${httpPort}/reload`, { method: 'POST' })
    assert.equal(reload.status, 200, await reload.text())
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    await waitFor(() => collector.payloads('channels/c1/messages/export/refused').length >= COUNT, {
      timeoutMs: 10_000,
      what: `${COUNT} messages after the password was fixed`,
    }).catch(() => undefined) // the report below says what is missing
    const report = checkSequence(collector.payloads('channels/c1/messages/export/refused'), expectedSequence(COUNT))
    assert.ok(report.ok, describeSequence(report))
    const healed = (await service.health()).body as Record<string, unknown>
    assert.equal(healed.mqtt, 'connected')
    assertNoSecrets(JSON.stringify(healed), SECRETS, '/health')
    assertNoSecrets(serviceOutput(service), SECRETS, 'the log')
  })

  it('connects as the thing with the right password and delivers', async (t) => {
    const { service, httpPort } = await startBridge(t, { password: THING.password })
    const connected = await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    assert.equal(connected.level, 'info')
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)
    // Mosquitto names the user each client logged in as.
    assert.match(mosquitto.output(), new RegExp(`as export-test-\\d+-${httpPort} \\([^)]*u'${THING.username}'\\)`))

    const nc = await connect({ servers: nats.url })
    nc.publish('export.auth.ok', 'authenticated')
    await nc.flush()
    await nc.close()
    await waitFor(() => collector.payloads('channels/c1/messages/export/auth/ok').length > 0, {
      timeoutMs: 10_000,
      what: 'the message on channels/c1/messages/export/auth/ok',
    })
    assert.deepEqual(collector.payloads('channels/c1/messages/export/auth/ok'), ['authenticated'])
    const { body } = await service.health()
    assert.equal((body as { last_error: string }).last_error, '')
    assertNoSecrets(JSON.stringify(body), SECRETS, '/health')
    assertNoSecrets(serviceOutput(service), SECRETS, 'the log')
  })

  it('counts and logs a message the ACL refuses (MQTT 5 reason code), and goes on delivering the route\'s next messages', async (t) => {
    const { service, httpPort } = await startBridge(t, {
      password: THING.password,
      mqtt: { protocol_version: 5 },
      routes: [
        { nats_topic: 'export', mqtt_topic: 'channels/c1/messages' },
        { nats_topic: 'other', mqtt_topic: 'channels/c2/messages' },
      ],
    })
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    await service.waitForLog((e) => e.message === 'route subscribed' && e.route === 'other', 10_000)
    await service.waitForLog((e) => e.message === 'route subscribed' && e.route === 'export', 10_000)

    await publishSequence(nats.url, 'other.denied', 1)
    const refused = await service.waitForLog((e) => e.message === 'broker refused message', 10_000)
    assert.equal(refused.level, 'warn')
    assert.equal(refused.topic, 'channels/c2/messages/other/denied')
    await publishSequence(nats.url, 'other.denied', 1)
    await publishSequence(nats.url, 'export.acl', 5)
    await waitFor(() => collector.payloads('channels/c1/messages/export/acl').length >= 5, { timeoutMs: 10_000, what: '5 allowed messages' })
    assert.deepEqual(collector.payloads('channels/c1/messages/export/acl'), expectedSequence(5))
    assert.equal(collector.payloads('channels/c2/messages/other/denied').length, 0)

    const metrics = await waitFor(
      async () => {
        const text = await metricsText(httpPort)
        // The broker acks the bridge and forwards to the reader at about the same time: wait for both.
        return /export_messages_rejected_total\{route="other"\} 2\b/.test(text) && /export_messages_published_total\{route="export"\} 5\b/.test(text) && text
      },
      { timeoutMs: 5000, what: 'export_messages_rejected_total{route="other"} 2 and published{route="export"} 5' },
    )
    assert.match(metrics, /export_messages_published_total\{route="other"\} 0\b/)
    assert.match(metrics, /export_messages_published_total\{route="export"\} 5\b/)
    assert.match(metrics, /export_queue_messages\{route="other"\} 0\b/)
    // Rate-limited: the second refusal within seconds of the first is counted, not logged again.
    assert.equal(service.logs.filter((e) => e.message === 'broker refused message').length, 1)
    assert.match(String(((await service.health()).body as { last_error: string }).last_error), /not authori[sz]ed/i)
    assertNoSecrets(serviceOutput(service), SECRETS, 'the log')
  })
})
