// Tests of the broker helpers: each must really start, restart and secure its own broker, since
// every integration and fault test relies on them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect as natsConnect } from '@nats-io/transport-node'
import { connect as mqttConnect } from 'mqtt'
import type { IClientOptions, MqttClient } from 'mqtt'
import { makeCerts } from '../helpers/certs.js'
import { startCollector } from '../helpers/mqtt-collector.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { startNats } from '../helpers/nats-server.js'
import { checkSequence, describeSequence } from '../helpers/sequence.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { canConnect, withDeadline } from '../helpers/wait.js'

/** Connects once, without retries: resolves 'connected', or the error or close that refused it. */
async function tryConnect(url: string, opts: IClientOptions): Promise<{ outcome: 'connected' | 'refused'; detail: string }> {
  const client: MqttClient = mqttConnect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...opts })
  try {
    return await withDeadline(
      new Promise((resolve) => {
        client.once('connect', () => resolve({ outcome: 'connected', detail: '' }))
        client.once('error', (err) => resolve({ outcome: 'refused', detail: err.message }))
        client.once('close', () => resolve({ outcome: 'refused', detail: 'closed' }))
      }),
      5000,
      `an answer to the MQTT connect to ${url}`,
    )
  } finally {
    await client.endAsync(true)
  }
}

describe('nats-server helper', { timeout: 30_000 }, () => {
  it('serves core NATS on its own port and stops idempotently', async () => {
    const nats = await startNats()
    assert.notEqual(nats.port, 4222)
    assert.match(nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/)
    const nc = await natsConnect({ servers: nats.url })
    const sub = nc.subscribe('probe.>', { max: 3 })
    // The subscription must reach the server before another connection publishes.
    await nc.flush()
    await publishSequence(nats.url, 'probe.a', 3)
    const got: string[] = []
    for await (const m of sub) got.push(m.string())
    assert.deepEqual(got, ['0', '1', '2'])
    await nc.close()
    await nats.close()
    await nats.close()
    assert.equal(nats.running, false)
    assert.equal(await canConnect(nats.port), false)
  })

  it('keeps JetStream streams across restart() on the same port', async () => {
    await using nats = await startNats({ jetstream: true })
    assert.ok(nats.storeDir !== undefined)
    let nc = await natsConnect({ servers: nats.url })
    let jsm = await jetstreamManager(nc)
    await jsm.streams.add({ name: 'EXPORT', subjects: ['export.>'] })
    await publishSequence(nats.url, 'export.t', 5, { jetstream: true })
    await nc.close()

    const port = nats.port
    await nats.restart()
    assert.equal(nats.port, port)
    nc = await natsConnect({ servers: nats.url })
    jsm = await jetstreamManager(nc)
    const info = await jsm.streams.info('EXPORT')
    assert.equal(info.state.messages, 5)
    await nc.close()
  })

  it('keeps the store across kill() and removes its temp store at close()', async () => {
    const nats = await startNats({ jetstream: true })
    const storeDir = nats.storeDir
    assert.ok(storeDir !== undefined)
    const nc = await natsConnect({ servers: nats.url })
    await (await jetstreamManager(nc)).streams.add({ name: 'S', subjects: ['s.>'] })
    await publishSequence(nats.url, 's.x', 2, { jetstream: true })
    await nc.close()
    const status = await nats.kill()
    assert.equal(status?.signal, 'SIGKILL')
    await nats.restart()
    const nc2 = await natsConnect({ servers: nats.url })
    assert.equal((await (await jetstreamManager(nc2)).streams.info('S')).state.messages, 2)
    await nc2.close()
    await nats.close()
    const { existsSync } = await import('node:fs')
    assert.equal(existsSync(storeDir), false)
  })

  it('fails fast with the server output when the port is taken', async () => {
    await using first = await startNats()
    await assert.rejects(startNats({ port: first.port }), /nats-server exited during start[\s\S]*address already in use/i)
  })
})

describe('mosquitto helper', { timeout: 30_000 }, () => {
  it('forwards messages on its own port and restarts on the same port', async () => {
    await using broker = await startMosquitto()
    assert.notEqual(broker.port, 1883)
    await using collector = await startCollector({ url: broker.url, topic: 't/#', qos: 1 })
    const pub = mqttConnect(broker.url)
    for (const p of expectedSequence(50)) await pub.publishAsync('t/seq', p, { qos: 1 })
    await collector.waitForCount(50, 5000)
    assert.ok(checkSequence(collector.payloads('t/seq'), expectedSequence(50)).ok)
    await pub.endAsync()

    await broker.restart()
    assert.ok(await canConnect(broker.port))
  })

  it('queues a burst of QoS 1 messages for an offline subscriber beyond the default limit of 1000', async () => {
    await using broker = await startMosquitto()
    const session = { url: broker.url, topic: 'burst', qos: 1 as const, clientId: 'slow-sub', clean: false }
    // An offline persistent session is the slowest subscriber there is: everything is queued.
    await (await startCollector(session)).close()
    const pub = mqttConnect(broker.url)
    const expected = expectedSequence(3000)
    // PUBACK means the broker has taken the message, and queued it for the offline session.
    await Promise.all(expected.map((p) => pub.publishAsync('burst', p, { qos: 1 })))
    await pub.endAsync()
    await using collector = await startCollector(session)
    await collector.waitForCount(3000, 10_000)
    const report = checkSequence(collector.payloads(), expected)
    assert.ok(report.ok, describeSequence(report))
  })

  it('with persistence, keeps a queued QoS 1 message for an offline session across restart()', async () => {
    await using broker = await startMosquitto({ persistence: true })
    const session = { clientId: 'persistent-sub', clean: false, reconnectPeriod: 0 }
    const sub = mqttConnect(broker.url, session)
    await withDeadline(new Promise((resolve) => sub.once('connect', resolve)), 5000, 'the subscriber to connect')
    await sub.subscribeAsync('kept', { qos: 1 })
    await sub.endAsync()
    const pub = mqttConnect(broker.url)
    await pub.publishAsync('kept', 'survives', { qos: 1 })
    await pub.endAsync()

    await broker.restart()
    const again = mqttConnect(broker.url, session)
    try {
      const [topic, payload] = await withDeadline(
        new Promise<[string, Buffer]>((resolve) => again.once('message', (t, p) => resolve([t, p]))),
        5000,
        'the queued message after the restart',
      )
      assert.deepEqual([topic, payload.toString()], ['kept', 'survives'])
    } finally {
      await again.endAsync(true)
    }
  })

  it('with users, rejects a wrong password and accepts the right one', async () => {
    await using broker = await startMosquitto({ users: [{ username: 'thing-1', password: 'key:with:colons' }] })
    const wrong = await tryConnect(broker.url, { username: 'thing-1', password: 'nope' })
    assert.equal(wrong.outcome, 'refused')
    assert.match(wrong.detail, /not authori[sz]ed|bad user name or password/i)
    const anonymous = await tryConnect(broker.url, {})
    assert.equal(anonymous.outcome, 'refused')
    const right = await tryConnect(broker.url, { username: 'thing-1', password: 'key:with:colons' })
    assert.deepEqual(right, { outcome: 'connected', detail: '' })
  })

  it('with an ACL, denies a topic the user may not read', async () => {
    await using broker = await startMosquitto({
      users: [{ username: 'u', password: 'p' }],
      acl: 'user u\ntopic readwrite allowed/#\n',
    })
    const creds = { username: 'u', password: 'p' }
    // mosquitto grants the SUBSCRIBE to '#' and filters each delivery against the ACL instead.
    await using collector = await startCollector({ url: broker.url, topic: '#', qos: 1, ...creds })
    const pub = mqttConnect(broker.url, creds)
    // A denied publish is acknowledged but not delivered. Both come from one client in order, so
    // once 'allowed/1' is here, 'denied/1' would have been too.
    await pub.publishAsync('denied/1', 'x', { qos: 1 })
    await pub.publishAsync('allowed/1', 'y', { qos: 1 })
    await collector.waitForCount(1, 5000)
    assert.deepEqual(collector.messages.map((m) => m.topic), ['allowed/1'])
    await pub.endAsync()
  })

  it('with TLS requiring a certificate, accepts the right client cert and rejects one from another CA', async () => {
    const dir = await makeTempDir('certs')
    try {
      const certs = await makeCerts(dir)
      await using broker = await startMosquitto({ tls: { certs, requireCertificate: true } })
      assert.ok(broker.tlsUrl !== undefined)
      assert.match(broker.tlsUrl, /^mqtts:\/\/localhost:\d+$/)

      const ok = await tryConnect(broker.tlsUrl, { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key })
      assert.deepEqual(ok, { outcome: 'connected', detail: '' })
      const foreign = await tryConnect(broker.tlsUrl, {
        ca: certs.ca.cert,
        cert: certs.otherClient.cert,
        key: certs.otherClient.key,
      })
      assert.equal(foreign.outcome, 'refused')
      assert.match(foreign.detail, /unknown ca/i)
      const none = await tryConnect(broker.tlsUrl, { ca: certs.ca.cert })
      assert.equal(none.outcome, 'refused')
      assert.match(none.detail, /certificate required/i)
      // The client checks the broker too: without our CA the handshake fails on the client side.
      const untrusted = await tryConnect(broker.tlsUrl, { cert: certs.client.cert, key: certs.client.key })
      assert.equal(untrusted.outcome, 'refused')
      assert.match(untrusted.detail, /self[- ]signed|unable to (get|verify)/i)
      // The collector speaks mTLS too, and receives what is published over the plain listener.
      await using collector = await startCollector({
        url: broker.tlsUrl,
        topic: 'secure/#',
        qos: 1,
        ca: certs.ca.cert,
        cert: certs.client.cert,
        key: certs.client.key,
      })
      const pub = mqttConnect(broker.url)
      await pub.publishAsync('secure/1', 'over tls', { qos: 1 })
      await collector.waitForCount(1, 5000)
      await pub.endAsync()
      // The plain listener still works next to the TLS one.
      assert.equal((await tryConnect(broker.url, {})).outcome, 'connected')
    } finally {
      await removeDir(dir)
    }
  })
})
