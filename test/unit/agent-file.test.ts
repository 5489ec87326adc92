import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'smol-toml'
import { agentReadyToml } from '../../src/agent/agent-file.js'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'
import { FIXTURES_DIR } from '../helpers/fixtures.js'

/** TOML as plain objects (smol-toml makes null-prototype ones). */
const toml = (text: string): unknown => JSON.parse(JSON.stringify(parse(text)))

describe('a config file made ready for the Agent', () => {
  it("writes values in the Go service's types: port as a string, booleans and numbers unquoted", () => {
    const { text, notes } = agentReadyToml({ exp: { port: 8170 }, mqtt: { mtls: 'false', qos: '1', retain: 'TRUE' }, routes: [{ nats_topic: 'a', mqtt_topic: 'b', workers: '4' }] })
    assert.deepEqual(toml(text), { exp: { port: '8170' }, mqtt: { mtls: false, qos: 1, retain: true }, routes: [{ nats_topic: 'a', mqtt_topic: 'b', workers: 4 }] })
    assert.equal(notes.length, 5)
  })

  it('renames aliases to the keys the Agent keeps, unless the Go key is already set', () => {
    const { text } = agentReadyToml({ exp: { broker_url: 'nats://x:4222' }, mqtt: { url: 'tcp://h:1883', priv_key: 'k.pem', client_priv_key_path: 'thing.key' } })
    assert.deepEqual(toml(text), { exp: { nats: 'nats://x:4222' }, mqtt: { host: 'tcp://h:1883', priv_key: 'k.pem', client_priv_key_path: 'thing.key' } })
  })

  it('leaves the keys that are new here for the Agent to drop, and drops File', () => {
    const { text } = agentReadyToml({ File: '/x', store: { type: 'memory' }, routes: [{ nats_topic: 'a', mqtt_topic: 'b', priority: 3 }] })
    assert.deepEqual(toml(text), { store: { type: 'memory' }, routes: [{ nats_topic: 'a', mqtt_topic: 'b', priority: 3 }] })
  })

  for (const name of ['seed-doc-config.toml', 'agent-saved-config.toml', 'agent-saved-config.json']) {
    it(`configures the service exactly as the original does (${name})`, () => {
      const path = resolve(FIXTURES_DIR, name)
      const raw = parseConfigText(readFileSync(path, 'utf8'), path)
      const ready = parseConfigText(agentReadyToml(raw).text, path)
      assert.deepEqual(configFromRaw(ready, { fileName: name, env: {} }).config, configFromRaw(raw, { fileName: name, env: {} }).config)
    })
  }
})
