import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { healthVerdict } from '../../src/http/health.js'
import type { HealthInput } from '../../src/http/health.js'
import { serviceStatus } from '../helpers/service-status.js'
import { Dispatcher } from '../../src/delivery/dispatcher.js'
import type { Publisher } from '../../src/delivery/dispatcher.js'
import { MemoryStore } from '../../src/store/memory-store.js'

const KEEP_ALIVE_MS = 30_000

function status(over: Partial<HealthInput> = {}): HealthInput {
  return serviceStatus(over)
}

// Issue 10, item 2: /health tells the truth.
describe('the /health verdict', () => {
  it('passes when both links are up and acks come', () => {
    assert.deepEqual(healthVerdict(status(), KEEP_ALIVE_MS), { status: 'pass', reasons: [] })
  })

  it('fails while NATS is down, as the Go service (503), whatever else', () => {
    const v = healthVerdict(status({ nats: 'disconnected', mqtt: 'disconnected' }), KEEP_ALIVE_MS)
    assert.equal(v.status, 'fail')
    assert.deepEqual(v.reasons, ['NATS disconnected', 'MQTT broker disconnected'])
  })

  it('warns while the cloud link is down', () => {
    assert.deepEqual(healthVerdict(status({ mqtt: 'disconnected' }), KEEP_ALIVE_MS), { status: 'warn', reasons: ['MQTT broker disconnected'] })
  })

  it('warns when messages wait for an ack longer than 3 keep-alives, not before', () => {
    assert.equal(healthVerdict(status({ ackWaitMs: 3 * KEEP_ALIVE_MS }), KEEP_ALIVE_MS).status, 'pass')
    const v = healthVerdict(status({ ackWaitMs: 3 * KEEP_ALIVE_MS + 1 }), KEEP_ALIVE_MS)
    assert.equal(v.status, 'warn')
    assert.match(v.reasons[0] ?? '', /in flight without an ack/)
  })

  it('warns when anything was dead-lettered in the last hour', () => {
    const v = healthVerdict(status({ deadLetteredLastHour: 2 }), KEEP_ALIVE_MS)
    assert.equal(v.status, 'warn')
    assert.match(v.reasons[0] ?? '', /2 message\(s\) dead-lettered/)
  })
})

/** A connection that takes publishes and acks them only when told to. */
function heldPublisher(): Publisher & { acks: Array<(err?: Error) => void> } {
  const acks: Array<(err?: Error) => void> = []
  return { connected: true, acks, room: () => 100, limited: () => undefined, publish: (_t, _p, done) => acks.push(done), batch: (fn) => fn() }
}

describe('how long the dispatcher has waited for an ack', () => {
  it('is 0 with nothing in flight, grows while nothing is acked, restarts at each ack', async () => {
    const store = new MemoryStore({ maxBytes: 1 << 20, overflow: 'drop_oldest', maxAgeMs: 0 })
    await store.open({ available: () => undefined, dropped: () => undefined })
    const dispatcher = new Dispatcher(store, { delivered: () => undefined, rejected: () => undefined })
    const publisher = heldPublisher()
    dispatcher.setRoutes([{ id: 'r', priority: 0 }])
    dispatcher.setPublisher(publisher)
    assert.equal(dispatcher.ackWaitMs(), 0)

    const before = Date.now()
    for (const text of ['a', 'b']) store.append('r', 't', Buffer.from(text), 0)
    dispatcher.pump()
    assert.equal(publisher.acks.length, 2)
    const later = Date.now() + 60_000
    assert.ok(dispatcher.ackWaitMs(later) >= 60_000 && dispatcher.ackWaitMs(later) <= later - before)

    publisher.acks[0]!()
    assert.ok(dispatcher.ackWaitMs(Date.now() + 5) <= 1000, 'an ack did not restart the wait')
    publisher.acks[1]!()
    assert.equal(dispatcher.ackWaitMs(later), 0)
  })
})
