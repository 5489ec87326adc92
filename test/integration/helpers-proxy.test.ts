// Tests of the TCP proxy that fault tests put between the bridge and the broker: cut() must look
// like a reset link, silence() like a link that died without a word, and restore() must heal both.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { connect } from 'mqtt'
import type { IClientOptions, MqttClient } from 'mqtt'
import { startCollector } from '../helpers/mqtt-collector.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { waitFor, withDeadline } from '../helpers/wait.js'

/** An mqtt.js client that records its lifecycle events, to assert on them without sleeping. */
function trackedClient(url: string, opts: IClientOptions): { client: MqttClient; events: string[] } {
  const client = connect(url, { reconnectPeriod: 100, connectTimeout: 1000, ...opts })
  const events: string[] = []
  for (const name of ['connect', 'offline', 'close', 'reconnect'] as const) client.on(name, () => events.push(name))
  client.on('error', (err) => events.push(`error: ${err.message}`))
  return { client, events }
}

/** The next 'connect' of `client`; unlike events.once, errors on the way (refused reconnects) do not reject. */
async function nextConnect(client: MqttClient, timeoutMs: number, what: string): Promise<void> {
  await withDeadline(new Promise<void>((resolve) => client.once('connect', () => resolve())), timeoutMs, what)
}

describe('tcp proxy', { timeout: 30_000 }, () => {
  it('forwards MQTT traffic both ways and counts bytes', async () => {
    await using broker = await startMosquitto()
    await using proxy = await startTcpProxy(broker.port)
    await using collector = await startCollector({ url: `mqtt://127.0.0.1:${proxy.port}`, topic: 'p/#', qos: 1 })
    assert.equal(proxy.connections, 1)
    const pub = connect(`mqtt://127.0.0.1:${proxy.port}`)
    await pub.publishAsync('p/1', 'hello', { qos: 1 })
    await collector.waitForCount(1, 5000)
    assert.equal(collector.messages[0]?.payload.toString(), 'hello')
    assert.ok(proxy.bytesForwarded > 0)
    await pub.endAsync()
    await waitFor(() => proxy.connections === 1, { timeoutMs: 2000, what: 'the publisher connection to close' })
  })

  it('cut() resets open connections and refuses new ones until restore()', async () => {
    await using broker = await startMosquitto()
    await using proxy = await startTcpProxy(broker.port)
    const { client, events } = trackedClient(`mqtt://127.0.0.1:${proxy.port}`, {})
    try {
      await nextConnect(client, 3000, 'the first connect')
      proxy.cut()
      await waitFor(() => events.includes('offline') && events.includes('close'), {
        timeoutMs: 3000,
        what: 'the client to see its connection closed',
      })
      assert.equal(proxy.connections, 0)
      // Reconnect attempts reach the proxy and are reset: the client stays offline.
      const acceptedAtCut = proxy.accepted
      await waitFor(() => proxy.accepted >= acceptedAtCut + 3, { timeoutMs: 3000, what: '3 refused reconnects' })
      assert.equal(client.connected, false)
      assert.equal(events.filter((e) => e === 'connect').length, 1)

      proxy.restore()
      await nextConnect(client, 3000, 'a reconnect after restore()')
      assert.equal(proxy.connections, 1)
    } finally {
      await client.endAsync(true)
    }
  })

  it('silence() black-holes a connection so that only MQTT keep-alive detects it', async (t) => {
    await using broker = await startMosquitto()
    await using proxy = await startTcpProxy(broker.port)
    const { client, events } = trackedClient(`mqtt://127.0.0.1:${proxy.port}`, { keepalive: 1 })
    try {
      await nextConnect(client, 3000, 'the first connect')
      // What the client's socket sees from the other end: a dead link gives neither FIN nor RST.
      const socketEvents: string[] = []
      const stream = client.stream
      stream.on('end', () => socketEvents.push('end'))
      stream.on('error', (err: Error) => socketEvents.push(`error: ${err.message}`))

      const silencedAt = Date.now()
      proxy.silence()
      await waitFor(() => events.includes('offline'), { timeoutMs: 5000, what: 'keep-alive to detect the dead link' })
      const detectedMs = Date.now() - silencedAt
      t.diagnostic(`keep-alive 1 s detected the dead link after ${detectedMs}ms`)
      assert.ok(events.includes('error: Keepalive timeout'), `events: ${events.join(', ')}`)
      assert.deepEqual(socketEvents, [], 'the proxy must not close the socket itself')
      assert.equal(proxy.closedByProxy, 0)
      // Keep-alive 1 s: a PINGREQ after ~1 s, declared lost ~1 s later; never before 1 s.
      assert.ok(detectedMs >= 900, `detected after ${detectedMs}ms`)

      // While silent, new connections are accepted and black-holed: CONNECT never gets a CONNACK.
      const acceptedAtSilence = proxy.accepted
      await waitFor(() => proxy.accepted > acceptedAtSilence, { timeoutMs: 3000, what: 'a reconnect attempt' })
      assert.equal(client.connected, false)

      proxy.restore()
      await nextConnect(client, 5000, 'a reconnect after restore()')
    } finally {
      await client.endAsync(true)
    }
  })

  it('passes a refused upstream on as a reset, and forwards again once the broker is back', async () => {
    await using broker = await startMosquitto()
    await using proxy = await startTcpProxy(broker.port)
    await broker.stop()
    const { client, events } = trackedClient(`mqtt://127.0.0.1:${proxy.port}`, {})
    try {
      await waitFor(() => proxy.accepted >= 2 && events.includes('close'), { timeoutMs: 3000, what: 'refused attempts' })
      assert.equal(client.connected, false)
      assert.ok(!events.includes('connect'), `events: ${events.join(', ')}`)
      await broker.restart()
      await nextConnect(client, 3000, 'a connect once the broker is back')
    } finally {
      await client.endAsync(true)
    }
  })

  it('stop() closes silenced connections and is idempotent', async () => {
    await using broker = await startMosquitto()
    const proxy = await startTcpProxy(broker.port)
    const { client, events } = trackedClient(`mqtt://127.0.0.1:${proxy.port}`, { reconnectPeriod: 0 })
    await nextConnect(client, 3000, 'the first connect')
    proxy.silence()
    await proxy.stop()
    await proxy.stop()
    await waitFor(() => events.includes('close'), { timeoutMs: 2000, what: 'the client to see the close' })
    assert.equal(proxy.connections, 0)
    await client.endAsync(true)
  })
})
