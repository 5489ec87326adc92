import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 3000
const RATE = 1000 // msg/s: a 3 s stream; the link dies early in it

/**
 * QoS 2 across a dead link needs the persistent MQTT session (`clean = false`): a message whose
 * PUBREC reached the bridge but whose PUBREL did not reach the broker is released by the broker
 * only when the PUBREL comes again on the new connection, within the same session. With a clean
 * session the broker has forgotten it and the message is lost.
 *
 * A silent link cut at a random moment catches that only when a message happens to be between
 * PUBREC and PUBCOMP; here the proxy silences the link right after passing a PUBREC on, so one
 * always is (issue 13). Every run of this test fails with `clean: true`.
 */
describe('QoS 2 when the link dies between PUBREC and PUBCOMP', () => {
  it(`keeps the session: all ${COUNT} messages arrive in order, each exactly once`, async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, proxy, collector, service } = await startBridgeWorld(td, {
      proxy: 'forward',
      collector: { topic: 'channels/c1/messages/#', qos: 2 },
      config: { qos: 2, keepAlive: '2s', routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages', workers: 10 }] },
    })

    const publishing = publishSequence(nats.url, 'export.seq', COUNT, { ratePerSec: RATE, batch: 50 })
    await collector.waitForCount(200, 10_000)
    const closedBefore = proxy.closedByProxy
    await proxy.silenceAfterPubrec()
    const silencedAt = collector.count
    // New connections may pass at once: the silenced one stays dead until keep-alive finds out.
    proxy.restore()
    await service.waitForLog((e) => e.message === 'MQTT connection lost; messages wait in the store', 15_000)
    assert.equal(proxy.closedByProxy, closedBefore, 'the proxy closed a socket: the dead link was announced, not detected')
    await publishing

    await waitFor(() => collector.count >= COUNT, { timeoutMs: 30_000, what: `${COUNT} messages` }).catch(() => undefined) // the report says what is missing
    const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
    assert.ok(report.ok, describeSequence(report))
    assert.equal(report.duplicates, 0, 'QoS 2 delivered a message twice')
    assert.ok(silencedAt < COUNT, 'the link died after the stream ended')
    t.diagnostic(`link silenced after a PUBREC with ${silencedAt} messages delivered`)
  })
})
