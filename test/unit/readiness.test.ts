import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StoreConfig } from '../../src/config/types.js'
import { readiness } from '../../src/http/probes.js'
import type { ServiceStatus } from '../../src/status/service-status.js'
import { routeStatus, serviceStatus } from '../helpers/service-status.js'

function status(over: Partial<ServiceStatus> = {}, queued: Array<[number, number]> = []): ServiceStatus {
  return serviceStatus({ routes: queued.map(([messages, bytes], i) => routeStatus(`r${i}`, { queued: messages, queuedBytes: bytes })), ...over })
}

const store = (overflow: StoreConfig['overflow']): StoreConfig => ({ type: 'file', path: '/x', maxBytes: 1000, overflow, maxAgeMs: 0 })

// Issue 11, item 5: what /readyz says, so that an orchestrator can act on it.
describe('the /readyz verdict', () => {
  it('is ready with both links up, and while the cloud is down (the store is for that)', () => {
    assert.deepEqual(readiness(status(), store('drop_oldest')), { ready: true, reasons: [] })
    assert.deepEqual(readiness(status({ mqtt: 'disconnected' }), store('drop_oldest')), { ready: true, reasons: [] })
  })

  it('is not ready while NATS is down, or while the disk under the store is full', () => {
    const nats = readiness(status({ nats: 'disconnected' }), store('drop_oldest'))
    assert.equal(nats.ready, false)
    assert.match(nats.reasons.join(), /NATS disconnected/)
    const disk = readiness(status({ store: 'disk_full' }), store('drop_oldest'))
    assert.equal(disk.ready, false)
    assert.match(disk.reasons.join(), /disk under the store is full/)
  })

  it('is not ready when a drop_newest store cannot take the next message; a drop_oldest one always can', () => {
    // Two routes, 9 messages of 100 bytes: the next one (100 bytes on average) would not fit in 1000.
    const full = status({}, [[5, 500], [4, 450]])
    assert.equal(readiness(full, store('drop_newest')).ready, false)
    assert.match(readiness(full, store('drop_newest')).reasons.join(), /store is full \(950 of max_bytes 1000\)/)
    assert.equal(readiness(full, store('drop_oldest')).ready, true)
    assert.equal(readiness(status({}, [[8, 800]]), store('drop_newest')).ready, true, '800 + 100 fits in 1000')
  })
})
