// The proxy's silenceAfterPubrec(): the link dies right after the broker's PUBREC reached the
// client, so the QoS 2 message is certainly between PUBREC and PUBCOMP (test/fault/qos2-session).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { connect } from 'mqtt'
import { startCollector } from '../helpers/mqtt-collector.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { waitFor } from '../helpers/wait.js'

describe('tcp proxy: silenceAfterPubrec()', { timeout: 30_000 }, () => {
  it('silences the link after a PUBREC; the session resends the PUBREL on a new connection', async () => {
    await using broker = await startMosquitto()
    await using proxy = await startTcpProxy(broker.port)
    await using collector = await startCollector({ url: broker.url, topic: 'q/#', qos: 2 })
    const client = connect(`mqtt://127.0.0.1:${proxy.port}`, { clientId: 'pubrec-test', clean: false, keepalive: 1, reconnectPeriod: 100, connectTimeout: 2000 })
    try {
      await new Promise<void>((resolve) => client.once('connect', () => resolve()))
      const closedBefore = proxy.closedByProxy
      const silenced = proxy.silenceAfterPubrec(5000)
      assert.equal(proxy.mode, 'silence-after-pubrec')
      const published = client.publishAsync('q/1', 'exactly once', { qos: 2 })
      await silenced
      assert.equal(proxy.mode, 'silent')
      assert.equal(proxy.closedByProxy, closedBefore, 'silencing must not close a socket')
      proxy.restore()
      // The client finds the link dead by keep-alive, reconnects, sends the PUBREL again: the
      // broker, which kept the session, releases the message.
      await published
      await collector.waitForCount(1, 10_000)
      assert.deepEqual(collector.payloads(), ['exactly once'])
      await waitFor(() => proxy.connections >= 1 && client.connected, { timeoutMs: 5000, what: 'the client to be connected again' })
    } finally {
      await client.endAsync(true)
    }
  })

  it('rejects when no PUBREC comes in time, and forwards again', async () => {
    await using broker = await startMosquitto()
    await using proxy = await startTcpProxy(broker.port)
    await assert.rejects(proxy.silenceAfterPubrec(50), /no PUBREC/)
    assert.equal(proxy.mode, 'forward')
  })
})
