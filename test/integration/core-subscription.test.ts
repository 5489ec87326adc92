import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { CoreSubscription } from '../../src/source/core-subscription.js'
import { startNats } from '../helpers/nats-server.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

// The subscriber reaches nats-server through a proxy adding 200 ms each way, the publisher
// directly: if start() resolved before the server had the SUB, a message published at once would
// reach the server first and be lost (a CI run of the kill-restart test lost 100 that way).
const HALF_RTT_MS = 200

describe('core NATS subscription', () => {
  it('resolves start() only once the server has the subscription: a message published right after reaches it', async (t) => {
    const teardown = new Teardown()
    t.after(() => teardown.run())
    const nats = teardown.use(await startNats(), 'nats-server')
    const proxy = teardown.use(await startTcpProxy(nats.port, { delayMs: HALF_RTT_MS }), 'proxy')
    const subscriberNc = await connect({ servers: `nats://127.0.0.1:${proxy.port}` })
    teardown.add(() => subscriberNc.close(), 'subscriber connection')
    const publisherNc = await connect({ servers: nats.url })
    teardown.add(() => publisherNc.close(), 'publisher connection')

    const got: string[] = []
    const source = new CoreSubscription(subscriberNc, 'probe.>', {
      handle: (subject) => {
        got.push(subject)
        return 'stored'
      },
      redelivered: () => undefined,
    })
    teardown.add(() => source.close(), 'subscription')
    const startedAt = performance.now()
    await source.start()
    const tookMs = performance.now() - startedAt
    publisherNc.publish('probe.first')
    await publisherNc.flush()

    await waitFor(() => got.length > 0, { timeoutMs: 5000, what: 'the message published right after start() to arrive' })
    assert.deepEqual(got, ['probe.first'])
    assert.ok(tookMs >= 2 * HALF_RTT_MS * 0.9, `start() resolved after ${tookMs.toFixed(0)} ms, less than the round trip to the server`)
  })
})
