import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { healthVerdict } from '../../src/http/health.js'
import type { HealthInput } from '../../src/http/health.js'
import { serviceStatus } from '../helpers/service-status.js'

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
