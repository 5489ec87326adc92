import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MissingBinaryError, requireBinary } from '../helpers/binaries.js'

describe('requireBinary', () => {
  it('finds nats-server outside PATH, in sbin', () => {
    assert.match(requireBinary('nats-server'), /\/nats-server$/)
  })

  it('says how to install a missing program', () => {
    assert.throws(
      () => requireBinary('nats-server', ['/nonexistent']),
      (err: unknown) =>
        err instanceof MissingBinaryError &&
        err.message === 'nats-server not found: install it with "apt-get install -y nats-server mosquitto mosquitto-clients"',
    )
  })
})
