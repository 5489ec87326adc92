import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { brokerAddress } from '../../src/sink/broker-address.js'

describe('broker address', () => {
  it('maps every scheme of `[mqtt] url` to mqtt.js protocols with default ports', () => {
    assert.deepEqual(brokerAddress('tcp://h:1884', false), { protocol: 'mqtt', host: 'h', port: 1884, path: '', tls: false })
    assert.equal(brokerAddress('mqtt://h', false).port, 1883)
    for (const s of ['ssl', 'tls', 'tcps', 'mqtts']) {
      assert.deepEqual(brokerAddress(`${s}://h`, false), { protocol: 'mqtts', host: 'h', port: 8883, path: '', tls: true })
    }
    assert.deepEqual(brokerAddress('ws://h:8080/mqtt', false), { protocol: 'ws', host: 'h', port: 8080, path: '/mqtt', tls: false })
    assert.equal(brokerAddress('wss://h/mqtt', false).port, 443)
  })

  it('uses TLS on a tcp:// URL when mtls is true', () => {
    assert.deepEqual(brokerAddress('tcp://h:8883', true), { protocol: 'mqtts', host: 'h', port: 8883, path: '', tls: true })
  })
})
