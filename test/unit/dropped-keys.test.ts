import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { agentHint, keysDroppedByAgent } from '../../src/agent/dropped-keys.js'

describe('keys the Agent drops when it rewrites a file', () => {
  it("names every key outside the Go service's structure, and no key inside it", () => {
    const raw = {
      File: '/etc/export.toml',
      exp: { nats: 'nats://n:4222', port: '8170', http_token: 't' },
      mqtt: { host: 'tcp://h:1883', url: 'tcp://h:1883', client_id: 'gw', qos: 1 },
      store: { type: 'memory' },
      routes: [{ nats_topic: 'a', mqtt_topic: 'b', workers: 2, priority: 3, source: 'jetstream' }],
    }
    assert.deepEqual(keysDroppedByAgent(raw), ['[exp] http_token', '[mqtt] url', '[mqtt] client_id', '[store]', 'routes[0].priority', 'routes[0].source'])
  })

  it('hints at the Go spelling of an alias, or at the variable of a new key', () => {
    assert.equal(agentHint('[mqtt] url'), 'write it as `host`')
    assert.equal(agentHint('[mqtt] priv_key_path'), 'write it as `client_priv_key_path`')
    assert.equal(agentHint('[exp] broker_url'), 'write it as `nats`')
    assert.equal(agentHint('[mqtt] client_id'), 'set MF_EXPORT_MQTT_CLIENT_ID on the gateway')
    assert.equal(agentHint('[exp] http_token'), 'set MF_EXPORT_HTTP_TOKEN on the gateway')
    assert.equal(agentHint('[store]'), 'set MF_EXPORT_STORE_* on the gateway')
    assert.equal(agentHint('routes[4].priority'), 'set MF_EXPORT_ROUTE_PRIORITY on the gateway')
    assert.equal(agentHint('routes[0].stream'), undefined)
    assert.equal(agentHint('[mqtt] constructor'), undefined)
  })
})
