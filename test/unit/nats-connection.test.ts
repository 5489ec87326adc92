import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { natsServersAndAuth } from '../../src/source/nats-link.js'

// nats.js ignores credentials in server URLs; the Go service's client uses them (issue 10).
describe('NATS server URLs with credentials', () => {
  it('takes user and password out of the URLs and gives them to the client', () => {
    assert.deepEqual(natsServersAndAuth(['nats://svc:p%40ss@n1:4222', 'nats://n2:4222']), {
      servers: ['nats://n1:4222', 'nats://n2:4222'],
      auth: { user: 'svc', pass: 'p@ss' },
    })
  })

  it('reads a user part without a password as a token', () => {
    assert.deepEqual(natsServersAndAuth(['tls://s3cr3t@n1:4222']), { servers: ['tls://n1:4222'], auth: { token: 's3cr3t' } })
  })

  it('keeps a password that starts with digits out of the port', () => {
    assert.deepEqual(natsServersAndAuth(['nats://u:123abc@n1:4222']).servers, ['nats://n1:4222'])
  })

  it('leaves URLs without credentials as they are', () => {
    assert.deepEqual(natsServersAndAuth(['nats://127.0.0.1:4222']), { servers: ['nats://127.0.0.1:4222'], auth: {} })
  })
})
