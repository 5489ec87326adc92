import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import type { Config } from '../../src/config/index.js'
import {
  configFromRaw,
  maskSecrets,
  parseConfigText,
  stringifyConfigJson,
  stringifyConfigToml,
  toFileObject,
  toGoFileObject,
} from '../../src/config/index.js'
import { ConfigError, describeError } from '../../src/errors.js'

const FULL = `[exp]
nats = "nats://n1:4222,nats://n2:4222"
port = 9000
log_level = "warn"
heartbeat_interval = "1m30s"

[mqtt]
url = "mqtts://cloud:8883"
username = "thing"
password = "secret"
client_id = "gw"
qos = 1
retain = true
mtls = true
ca_path = "ca.pem"
client_cert_path = "c.pem"
client_priv_key_path = "k.pem"
client_cert_key = "-----BEGIN KEY-----"
protocol_version = 5
keep_alive = "45s"

[store]
type = "memory"
max_bytes = "100MB"
overflow = "drop_newest"
max_age = "7d"

[[routes]]
nats_topic = "alarms"
mqtt_topic = "channels/c1/messages"
subtopic = "gw"
type = "mfx"
workers = 2
source = "jetstream"
stream = "ALARMS"
priority = 9
`

// smol-toml builds tables without a prototype; compare contents only.
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown
}

function configOf(text: string, fileName = 'config.toml'): Config {
  return configFromRaw(parseConfigText(text, fileName), { fileName, env: {} }).config
}

void describe('config file format', () => {
  void describe('parseConfigText', () => {
    void it('reads JSON when the first non-blank character is {, TOML otherwise', () => {
      assert.deepEqual(plain(parseConfigText('\n  {"exp": {"port": 1}}', 'a.conf')), { exp: { port: 1 } })
      assert.deepEqual(plain(parseConfigText('[exp]\nport = 1\n', 'a.json')), { exp: { port: 1 } })
    })

    void it('skips a UTF-8 byte order mark', () => {
      assert.deepEqual(plain(parseConfigText('\uFEFF[exp]\nport = 1\n', 'config.toml')), { exp: { port: 1 } })
    })

    void it('reports a TOML syntax error with the file, line and column', () => {
      assert.throws(() => parseConfigText('[exp]\nport = 8170\nnats = "x" y\n', 'config.toml'), (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.equal(err.code, 'EXP_CONFIG_INVALID')
        assert.equal(err.message, 'config.toml: line 3, column 12: each key-value declaration must be followed by an end-of-line')
        // The parser's excerpt of the surrounding lines could quote the password: never carried along.
        assert.equal(err.cause, undefined)
        return true
      })
    })

    void it('does not quote the lines around a syntax error, which may hold secrets', () => {
      const text = '[mqtt]\npassword = "pw-SECRET"\nretain = = false\n'
      assert.throws(() => parseConfigText(text, 'config.toml'), (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.doesNotMatch(describeError(err), /pw-SECRET/)
        return true
      })
      assert.throws(() => parseConfigText('{"mqtt": {"password": "pw-SECRET" "qos": 1}}', 'config.json'), (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.doesNotMatch(describeError(err), /pw-SECRET/)
        return true
      })
    })

    void it('reports a duplicate TOML key with its line', () => {
      assert.throws(() => parseConfigText('[mqtt]\nqos = 1\nqos = 2\n', 'config.toml'), { message: /^config\.toml: line 3, column \d+: / })
    })

    void it('reports a JSON syntax error with the file, line and column of the bad token', () => {
      assert.throws(() => parseConfigText('{\n  "exp": {"port": 1},\n  "mqtt": x\n}', 'config.json'), {
        name: 'ConfigError',
        message: "config.json: line 3, column 11: Unexpected token 'x'",
      })
      assert.throws(() => parseConfigText('{"exp": {"port": 1}', 'config.json'), { message: /^config\.json: line 1, column 20: / })
    })
  })

  void describe('toFileObject', () => {
    void it('uses the key names of the config file, with durations and sizes as text', () => {
      const file = toFileObject(configOf(FULL))
      assert.deepEqual(file, {
        exp: { nats: 'nats://n1:4222,nats://n2:4222', port: 9000, http_host: '', http_token: '', log_level: 'warn', heartbeat_interval: '1m30s' },
        mqtt: {
          url: 'mqtts://cloud:8883',
          username: 'thing',
          password: 'secret',
          client_id: 'gw',
          qos: 1,
          retain: true,
          mtls: true,
          ca_path: 'ca.pem',
          client_cert_path: 'c.pem',
          client_priv_key_path: 'k.pem',
          client_cert: '',
          client_cert_key: '-----BEGIN KEY-----',
          skip_tls_ver: false,
          protocol_version: 5,
          keep_alive: '45s',
          max_inflight: 'auto',
          max_message_bytes: '0',
        },
        store: { type: 'memory', path: './export-store', max_bytes: '100MB', overflow: 'drop_newest', max_age: '7d' },
        routes: [
          {
            nats_topic: 'alarms',
            mqtt_topic: 'channels/c1/messages',
            subtopic: 'gw',
            type: 'mfx',
            workers: 2,
            source: 'jetstream',
            stream: 'ALARMS',
            durable: 'export-alarms',
            priority: 9,
          },
        ],
      })
    })

    void it("writes the Go service's shape for the Agent: its keys only, in its types, the broker under host", () => {
      assert.deepEqual(toGoFileObject(configOf(FULL)), {
        exp: { nats: 'nats://n1:4222,nats://n2:4222', port: '9000', log_level: 'warn' },
        mqtt: {
          host: 'mqtts://cloud:8883',
          username: 'thing',
          password: 'secret',
          qos: 1,
          retain: true,
          mtls: true,
          skip_tls_ver: false,
          ca_path: 'ca.pem',
          client_cert_path: 'c.pem',
          client_priv_key_path: 'k.pem',
          client_cert: '',
          client_cert_key: '-----BEGIN KEY-----',
        },
        routes: [{ nats_topic: 'alarms', mqtt_topic: 'channels/c1/messages', subtopic: 'gw', type: 'mfx', workers: 2 }],
      })
    })

    void it('reads back to the same configuration through TOML and through JSON', () => {
      const config = configOf(FULL)
      assert.deepEqual(configOf(stringifyConfigToml(config)), config)
      assert.deepEqual(configOf(stringifyConfigJson(config), 'config.json'), config)
    })

    void it('writes TOML with the sections and one [[routes]] table per route', () => {
      const text = stringifyConfigToml(configOf(FULL))
      assert.match(text, /^\[exp\]\n/)
      assert.match(text, /\n\[mqtt\]\n/)
      assert.match(text, /\n\[store\]\nmax_bytes|\n\[store\]\ntype = "memory"/)
      assert.match(text, /\n\[\[routes\]\]\nnats_topic = "alarms"\n/)
      assert.ok(text.endsWith('\n'))
    })
  })

  void describe('maskSecrets', () => {
    void it('replaces password, client_cert_key and cache_pass by *** when they are set', () => {
      const masked = maskSecrets({
        exp: { cache_pass: 'redis-pw', cache_url: 'localhost:6379' },
        mqtt: { username: 'thing', password: 'secret', client_cert_key: 'PEM', client_cert: 'CERT' },
      })
      assert.deepEqual(masked, {
        exp: { cache_pass: '***', cache_url: 'localhost:6379' },
        mqtt: { username: 'thing', password: '***', client_cert_key: '***', client_cert: 'CERT' },
      })
    })

    void it('leaves empty secrets empty, so that "no password" stays visible', () => {
      assert.deepEqual(maskSecrets({ mqtt: { password: '', client_cert_key: '' } }), { mqtt: { password: '', client_cert_key: '' } })
    })

    void it('masks passwords inside URLs', () => {
      const masked = maskSecrets({ exp: { nats: 'nats://u:pw@n1:4222,nats://n2:4222' }, mqtt: { url: 'wss://a:b@cloud/mqtt' } })
      assert.deepEqual(masked, { exp: { nats: 'nats://u:***@n1:4222,nats://n2:4222' }, mqtt: { url: 'wss://a:***@cloud/mqtt' } })
    })

    void it('returns a copy and leaves the original as it was', () => {
      const file = toFileObject(configOf(FULL))
      const before = structuredClone(file)
      const masked = maskSecrets(file)
      assert.deepEqual(file, before)
      assert.notEqual(masked, file)
      assert.equal((masked['mqtt'] as Record<string, unknown>)['password'], '***')
      assert.equal((masked['routes'] as unknown[]).length, 1)
    })
  })
})
