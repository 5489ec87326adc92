import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { makeCerts } from '../helpers/certs.js'
import type { Certs } from '../helpers/certs.js'
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
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { waitFor, withDeadline } from '../helpers/wait.js'

// The bridge authenticates with a thing id and key over mTLS, as Mainflux does.
const THING = { username: 'thing-tls', password: `key-${randomBytes(12).toString('hex')}` }
const READER = { username: 'reader', password: `reader-${randomBytes(12).toString('hex')}` }

/**
 * The cloud link over TLS with client certificates (docs/configuration.md, `[mqtt]`): a Mosquitto TLS listener
 * that requires a certificate signed by the test CA. The reader is connected to the broker's plain
 * listener; the bridge is given only the TLS address.
 */
describe('TLS and client certificates to the cloud broker', () => {
  const td = new Teardown()
  let certs: Certs
  let nats: NatsServer
  let mosquitto: Mosquitto
  let collector: Collector

  before(async () => {
    const dir = await makeTempDir('certs')
    td.add(() => removeDir(dir), 'certs dir')
    certs = await makeCerts(dir)
    nats = td.use(await startNats(), 'nats')
    mosquitto = td.use(await startMosquitto({ users: [THING, READER], tls: { certs, requireCertificate: true } }), 'mosquitto')
    collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/c1/messages/#', qos: 1, ...READER }), 'collector')
  })
  after(() => td.run())

  const secrets = (): Record<string, string> => ({
    'MQTT password': THING.password,
    'client key': certs.client.key,
    'other client key': certs.otherClient.key,
  })

  /** A running bridge to the TLS listener with these `[mqtt]` TLS keys. */
  async function startTlsBridge(t: TestContext, tls: Record<string, unknown>): Promise<{ service: ServiceProcess; httpPort: number }> {
    const httpPort = await freePort()
    const service = await startService({ httpPort, configText: tlsConfig(httpPort, tls) })
    t.after(() => service.close())
    return { service, httpPort }
  }

  function tlsConfig(httpPort: number, tls: Record<string, unknown>): string {
    return bridgeConfigToml({
      natsUrl: nats.url,
      mqttUrl: `ssl://localhost:${mosquitto.tlsPort}`,
      httpPort,
      ...THING,
      mqtt: tls,
    })
  }

  async function publishOne(subject: string, payload: string): Promise<void> {
    const nc = await connect({ servers: nats.url })
    nc.publish(subject, payload)
    await nc.flush()
    await nc.close()
  }

  async function expectDelivered(topic: string, payload: string): Promise<void> {
    await waitFor(() => collector.messages.find((m) => m.topic === topic), { timeoutMs: 10_000, what: `a message on ${topic}` })
    assert.deepEqual(collector.payloads(topic), [payload])
  }

  it('delivers through the TLS listener with mTLS, the client certificate and key given as files', async (t) => {
    const { service } = await startTlsBridge(t, {
      ca_path: certs.ca.certPath,
      mtls: true,
      client_cert_path: certs.client.certPath,
      client_priv_key_path: certs.client.keyPath,
      skip_tls_ver: false,
    })
    const connecting = await service.waitForLog((e) => e.message === 'connecting to MQTT broker', 5000)
    assert.equal(connecting.broker, `mqtts://localhost:${mosquitto.tlsPort}`)
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)

    await publishOne('export.tls.files', 'over mTLS (files)')
    await expectDelivered('channels/c1/messages/export/tls/files', 'over mTLS (files)')
    assertNoSecrets(serviceOutput(service), secrets(), 'the log')
  })

  it('delivers through the TLS listener with mTLS, the client certificate and key given inline as PEM text', async (t) => {
    const { service, httpPort } = await startTlsBridge(t, {
      ca_path: certs.ca.certPath,
      mtls: true,
      client_cert: certs.client.cert,
      client_cert_key: certs.client.key,
      skip_tls_ver: false,
    })
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)

    await publishOne('export.tls.inline', 'over mTLS (inline PEM)')
    await expectDelivered('channels/c1/messages/export/tls/inline', 'over mTLS (inline PEM)')
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
    assert.match(metrics, /^export_mqtt_connected 1$/m)
    assertNoSecrets(serviceOutput(service), secrets(), 'the log')
    assertNoSecrets(metrics, secrets(), '/metrics')
  })

  it('keeps messages queued while the broker rejects a client certificate of another CA, and sends them once the certificate is fixed', async (t) => {
    const COUNT = 50
    const { service, httpPort } = await startTlsBridge(t, {
      ca_path: certs.ca.certPath,
      mtls: true,
      client_cert_path: certs.otherClient.certPath,
      client_priv_key_path: certs.otherClient.keyPath,
      skip_tls_ver: false,
    })
    const warn = await service.waitForLog((e) => e.message === 'MQTT connection failed; retrying', 10_000)
    assert.equal(warn.level, 'warn')
    assert.match(String(warn.err), /unknown ca|certificate/i, 'the warning does not say that the certificate was refused')
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)

    await publishSequence(nats.url, 'export.rejected', COUNT)
    const health = await waitFor(
      async () => {
        const h = await service.health()
        return (h.body as { queued?: number }).queued === COUNT && h
      },
      { timeoutMs: 10_000, what: `/health queued = ${COUNT}` },
    )
    assert.equal(health.status, 200)
    const body = health.body as Record<string, unknown>
    assert.equal(body.mqtt, 'disconnected')
    assert.match(String(body.last_error), /unknown ca|certificate/i)
    assert.equal(service.logs.filter((e) => e.message === 'connected to MQTT broker').length, 0)
    assert.equal(collector.payloads('channels/c1/messages/export/rejected').length, 0)
    assertNoSecrets(JSON.stringify(body), secrets(), '/health')

    // The operator installs the right certificate and reloads: nothing queued meanwhile is lost.
    await writeFile(service.configPath!, tlsConfig(httpPort, {
      ca_path: certs.ca.certPath,
      mtls: true,
      client_cert_path: certs.client.certPath,
      client_priv_key_path: certs.client.keyPath,
      skip_tls_ver: false,
    }))
    const reload = await fetch(`http://127.0.0.1:${httpPort}/reload`, { method: 'POST' })
    assert.equal(reload.status, 200, await reload.clone().text())
    assert.ok(((await reload.json()) as { changes: string[] }).changes.includes('[mqtt] reconnect'))
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    await waitFor(() => collector.payloads('channels/c1/messages/export/rejected').length >= COUNT, {
      timeoutMs: 10_000,
      what: `${COUNT} messages after the certificate was fixed`,
    }).catch(() => undefined) // the report below says what is missing
    const report = checkSequence(collector.payloads('channels/c1/messages/export/rejected'), expectedSequence(COUNT))
    assert.ok(report.ok, describeSequence(report))
    await waitFor(async () => {
      const b = (await service.health()).body as { queued: number; mqtt: string }
      return b.queued === 0 && b.mqtt === 'connected'
    }, { timeoutMs: 5000, what: '/health queued 0 and mqtt connected' })
    assertNoSecrets(serviceOutput(service), secrets(), 'the log')
  })

  it('exits non-zero at start, naming mtls, when mtls is true without a client certificate and key', async () => {
    const httpPort = await freePort()
    await using service = await startService({
      configText: tlsConfig(httpPort, { ca_path: certs.ca.certPath, mtls: true, skip_tls_ver: false }),
      waitForHttp: false,
    })
    const status = await withDeadline(service.exited, 10_000, 'the service to exit')
    assert.notEqual(status.code, 0)
    const errors = service.logs.filter((e) => e.level === 'error')
    assert.equal(errors.length, 1, serviceOutput(service))
    assert.match(String(errors[0]!.message), /mtls/)
    assert.ok(String(errors[0]!.message).includes(service.configPath!), 'the message does not name the config file')
    assert.equal(service.logs.some((e) => e.message === 'HTTP listening'), false)
    assertNoSecrets(serviceOutput(service), secrets(), 'the log')
  })

  it('exits non-zero at start, naming ca_path, when ca_path names a missing file and TLS is on', async () => {
    const httpPort = await freePort()
    const missing = join(certs.dir, 'no-such-ca.crt')
    await using service = await startService({
      configText: tlsConfig(httpPort, { ca_path: missing, skip_tls_ver: false }),
      waitForHttp: false,
    })
    const status = await withDeadline(service.exited, 10_000, 'the service to exit')
    assert.notEqual(status.code, 0)
    const errors = service.logs.filter((e) => e.level === 'error')
    assert.equal(errors.length, 1, serviceOutput(service))
    assert.match(String(errors[0]!.message), /ca_path/)
    assert.ok(String(errors[0]!.message).includes(missing), 'the message does not name the missing file')
    assert.equal(service.logs.some((e) => e.message === 'HTTP listening'), false)
    assertNoSecrets(serviceOutput(service), secrets(), 'the log')
  })
})
