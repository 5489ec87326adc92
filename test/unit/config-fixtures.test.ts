import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { ParsedConfig } from '../../src/config/index.js'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'
import { FIXTURES_DIR } from '../helpers/fixtures.js'


function loadFixture(name: string, env: NodeJS.ProcessEnv = {}): ParsedConfig {
  const text = readFileSync(path.join(FIXTURES_DIR, name), 'utf8')
  return configFromRaw(parseConfigText(text, name), { fileName: name, env })
}

void describe('config fixtures written by users and by the Mainflux Agent', () => {
  const files = readdirSync(FIXTURES_DIR).filter((f) => /\.(toml|json)$/.test(f))

  void it('finds the three known fixtures', () => {
    assert.deepEqual(files.sort(), ['agent-saved-config.json', 'agent-saved-config.toml', 'seed-doc-config.toml'])
  })

  for (const file of files) {
    void it(`loads ${file} into a valid configuration with new keys at their defaults`, () => {
      const { config } = loadFixture(file)
      assert.ok(config.routes.length > 0)
      assert.deepEqual(config.store, { type: 'file', path: './export-store', maxBytes: 1024 ** 3, overflow: 'drop_oldest', maxAgeMs: 0 })
      assert.equal(config.exp.heartbeatIntervalMs, 10_000)
      assert.equal(config.mqtt.keepAliveMs, 30_000)
      assert.equal(config.mqtt.protocolVersion, 4)
      for (const route of config.routes) {
        assert.equal(route.source, 'core')
        assert.equal(route.stream, 'EXPORT')
        assert.equal(route.priority, 0)
        assert.equal(route.durable, `export-${route.natsTopic}`)
      }
    })
  }

  void describe('agent-saved-config.toml', () => {
    void it('takes the broker from host, the NATS url from nats and ignores the top-level File key', () => {
      const { config } = loadFixture('agent-saved-config.toml')
      assert.equal(config.mqtt.url, 'tcp://mqtt-adapter:1883')
      assert.deepEqual(config.exp.natsUrls, ['nats://broker:4222'])
      assert.equal(config.exp.port, 8170)
      assert.equal(config.exp.logLevel, 'debug')
      assert.equal(config.mqtt.username, '77d74527-7457-4dc2-9b36-01f01ce62726')
      assert.equal(config.mqtt.password, '0f6bc453-4e5f-40f6-bc94-de8238b60c19')
      assert.equal(config.mqtt.clientId, 'export-77d74527-7457-4dc2-9b36-01f01ce62726')
      assert.equal(config.mqtt.qos, 0)
      assert.equal(config.mqtt.retain, false)
      assert.equal(config.mqtt.mtls, false)
      assert.equal(config.mqtt.skipTlsVerify, true)
      assert.equal(config.mqtt.caPath, '')
      assert.equal(config.mqtt.clientKeyPath, '')
    })

    void it('has two routes, the second one of type mfx', () => {
      const { config } = loadFixture('agent-saved-config.toml')
      const channel = 'channels/05ff7d0b-62be-433a-9eff-cd963b4c6b5d/messages'
      assert.deepEqual(
        config.routes.map((r) => [r.natsTopic, r.mqttTopic, r.subtopic, r.type, r.workers]),
        [
          ['export', channel, '', 'default', 10],
          ['channels', channel, '', 'mfx', 10],
        ],
      )
    })

    void it('gives exactly one warning, about the legacy cache_* keys', () => {
      const { warnings } = loadFixture('agent-saved-config.toml')
      assert.equal(warnings.length, 1)
      assert.match(warnings[0] ?? '', /^agent-saved-config\.toml: \[exp\] cache_url, cache_pass, cache_db: legacy Redis cache/)
    })

    void it('takes the section-7 variables for the new keys the Agent dropped', () => {
      const { config } = loadFixture('agent-saved-config.toml', { MF_EXPORT_STORE_PATH: '/var/lib/export', MF_EXPORT_ROUTE_SOURCE: 'jetstream' })
      assert.equal(config.store.path, '/var/lib/export')
      assert.deepEqual(
        config.routes.map((r) => r.source),
        ['jetstream', 'jetstream'],
      )
    })
  })

  void describe('agent-saved-config.json', () => {
    void it('reads the JSON form with a lower-case file key, qos 1, string port and 4 workers', () => {
      const { config, warnings } = loadFixture('agent-saved-config.json')
      assert.deepEqual(warnings, [])
      assert.equal(config.mqtt.url, 'tcp://localhost:1883')
      assert.equal(config.mqtt.qos, 1)
      assert.equal(config.mqtt.username, 'thing-1')
      assert.equal(config.mqtt.password, 'key-1')
      assert.equal(config.mqtt.skipTlsVerify, true)
      assert.equal(config.exp.port, 8170)
      assert.equal(config.exp.logLevel, 'info')
      assert.deepEqual(config.exp.natsUrls, ['nats://localhost:4222'])
      assert.equal(config.routes.length, 1)
      assert.deepEqual(
        [config.routes[0]?.natsTopic, config.routes[0]?.mqttTopic, config.routes[0]?.type, config.routes[0]?.workers],
        ['export', 'channels/ch-1/messages', 'default', 4],
      )
    })
  })

  void describe('seed-doc-config.toml', () => {
    void it('reads booleans written as strings and the broker under url', () => {
      const { config } = loadFixture('seed-doc-config.toml')
      assert.equal(config.mqtt.mtls, false)
      assert.equal(config.mqtt.retain, false)
      assert.equal(config.mqtt.skipTlsVerify, false)
      assert.equal(config.mqtt.url, 'tcp://mainflux.com:1883')
      assert.equal(config.exp.port, 8170)
    })

    void it('turns nats "localhost:4222" into a nats:// url', () => {
      assert.deepEqual(loadFixture('seed-doc-config.toml').config.exp.natsUrls, ['nats://localhost:4222'])
    })

    void it('accepts priv_key next to client_priv_key_path, and the certificate paths', () => {
      const { config } = loadFixture('seed-doc-config.toml')
      assert.equal(config.mqtt.clientKeyPath, 'thing.key')
      assert.equal(config.mqtt.clientCertPath, 'thing.crt')
      assert.equal(config.mqtt.caPath, 'ca.crt')
    })

    void it('reads both routes with their subtopic', () => {
      const { config } = loadFixture('seed-doc-config.toml')
      assert.deepEqual(
        config.routes.map((r) => [r.natsTopic, r.mqttTopic, r.subtopic, r.type, r.workers]),
        [
          ['export', 'channel/<channel_id>/messages', 'subtopic', 'default', 10],
          ['channels', 'channel/<channel_id>/messages', 'subtopic', 'mfx', 10],
        ],
      )
    })

    void it('only warns that its mqtt_topic (channel/, not channels/) does not look like a Mainflux topic', () => {
      const { warnings } = loadFixture('seed-doc-config.toml')
      assert.equal(warnings.length, 2)
      assert.match(warnings[0] ?? '', /^seed-doc-config\.toml: routes\[0\] \(nats_topic "export"\): mqtt_topic .* does not look like channels\/<id>\/messages/)
      assert.match(warnings[1] ?? '', /routes\[1\] \(nats_topic "channels"\)/)
    })

    void it('derives the client id from the username', () => {
      assert.equal(loadFixture('seed-doc-config.toml').config.mqtt.clientId, 'export-<thing_id>')
    })
  })
})
