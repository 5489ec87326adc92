import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { describe, it } from 'node:test'
import type { Config, ParsedConfig } from '../../src/config/index.js'
import { configFromEnv, configFromRaw, parseConfigText, rawConfigFromEnv } from '../../src/config/index.js'
import { ConfigError } from '../../src/errors.js'

const ROUTE = '[[routes]]\nnats_topic = "export"\nmqtt_topic = "channels/c1/messages"\n'

function load(toml: string, env: NodeJS.ProcessEnv): ParsedConfig {
  return configFromRaw(parseConfigText(toml, 'config.toml'), { fileName: 'config.toml', env })
}

function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err: unknown) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    return err.message
  }
  assert.fail('no error was thrown')
}

interface NewKeyCase {
  variable: string
  envValue: string
  /** The file with the key set, placed before the route. */
  withKey: string
  get: (config: Config) => unknown
  fromEnv: unknown
  fromFile: unknown
  bad: string
}

const NEW_KEYS: NewKeyCase[] = [
  { variable: 'MF_EXPORT_STORE_TYPE', envValue: 'memory', withKey: '[store]\ntype = "file"\n', get: (c) => c.store.type, fromEnv: 'memory', fromFile: 'file', bad: 'disk' },
  { variable: 'MF_EXPORT_STORE_PATH', envValue: '/data/q', withKey: '[store]\npath = "/var/q"\n', get: (c) => c.store.path, fromEnv: '/data/q', fromFile: '/var/q', bad: '' },
  {
    variable: 'MF_EXPORT_STORE_MAX_BYTES',
    envValue: '512MiB',
    withKey: '[store]\nmax_bytes = "1GB"\n',
    get: (c) => c.store.maxBytes,
    fromEnv: 512 * 1024 ** 2,
    fromFile: 1e9,
    bad: 'lots',
  },
  {
    variable: 'MF_EXPORT_STORE_OVERFLOW',
    envValue: 'drop_newest',
    withKey: '[store]\noverflow = "drop_oldest"\n',
    get: (c) => c.store.overflow,
    fromEnv: 'drop_newest',
    fromFile: 'drop_oldest',
    bad: 'drop_all',
  },
  { variable: 'MF_EXPORT_STORE_MAX_AGE', envValue: '7d', withKey: '[store]\nmax_age = "12h"\n', get: (c) => c.store.maxAgeMs, fromEnv: 604_800_000, fromFile: 43_200_000, bad: 'old' },
  { variable: 'MF_EXPORT_MQTT_CLIENT_ID', envValue: 'gw-env', withKey: '[mqtt]\nclient_id = "gw-file"\n', get: (c) => c.mqtt.clientId, fromEnv: 'gw-env', fromFile: 'gw-file', bad: '' },
  {
    variable: 'MF_EXPORT_MQTT_MAX_MESSAGE_BYTES',
    envValue: '256KiB',
    withKey: '[mqtt]\nmax_message_bytes = "1MB"\n',
    get: (c) => c.mqtt.maxMessageBytes,
    fromEnv: 262_144,
    fromFile: 1_000_000,
    bad: '12',
  },
  { variable: 'MF_EXPORT_MQTT_MAX_INFLIGHT', envValue: '5000', withKey: '[mqtt]\nmax_inflight = "auto"\n', get: (c) => c.mqtt.maxInflight, fromEnv: 5000, fromFile: 'auto', bad: '70000' },
  { variable: 'MF_EXPORT_MQTT_KEEP_ALIVE', envValue: '45s', withKey: '[mqtt]\nkeep_alive = "1m"\n', get: (c) => c.mqtt.keepAliveMs, fromEnv: 45_000, fromFile: 60_000, bad: '100ms' },
  {
    variable: 'MF_EXPORT_MQTT_PROTOCOL_VERSION',
    envValue: '5',
    withKey: '[mqtt]\nprotocol_version = 4\n',
    get: (c) => c.mqtt.protocolVersion,
    fromEnv: 5,
    fromFile: 4,
    bad: '6',
  },
  {
    variable: 'MF_EXPORT_HEARTBEAT_INTERVAL',
    envValue: '30s',
    withKey: '[exp]\nheartbeat_interval = "5s"\n',
    get: (c) => c.exp.heartbeatIntervalMs,
    fromEnv: 30_000,
    fromFile: 5000,
    bad: 'often',
  },
  {
    variable: 'MF_EXPORT_HTTP_HOST',
    envValue: '127.0.0.1',
    withKey: '[exp]\nhttp_host = "::1"\n',
    get: (c) => c.exp.httpHost,
    fromEnv: '127.0.0.1',
    fromFile: '::1',
    bad: 'http://gw:8170',
  },
  {
    variable: 'MF_EXPORT_HTTP_TOKEN',
    envValue: 'env-token-0123456789',
    withKey: '[exp]\nhttp_token = "file-token-0123456789"\n',
    get: (c) => c.exp.httpToken,
    fromEnv: 'env-token-0123456789',
    fromFile: 'file-token-0123456789',
    // A bad token is refused without being quoted (it is a secret): tested in config-validation.
    bad: '',
  },
]

void describe('section-7 environment variables for new keys', () => {
  for (const c of NEW_KEYS) {
    void it(`applies ${c.variable} when the file leaves the key out`, () => {
      assert.deepEqual(c.get(load(ROUTE, { [c.variable]: c.envValue }).config), c.fromEnv)
    })

    void it(`ignores ${c.variable} when the file sets the key`, () => {
      assert.deepEqual(c.get(load(c.withKey + ROUTE, { [c.variable]: c.envValue }).config), c.fromFile)
    })

    if (c.bad !== '') {
      void it(`rejects a bad ${c.variable}, naming the variable`, () => {
        const message = messageOf(() => load(ROUTE, { [c.variable]: c.bad }))
        assert.ok(message.startsWith(`${c.variable}`), message)
        assert.ok(message.includes(JSON.stringify(c.bad)) || message.includes('must be between'), message)
      })
    }
  }

  void it('treats a blank variable as unset', () => {
    assert.equal(load(ROUTE, { MF_EXPORT_STORE_TYPE: '', MF_EXPORT_MQTT_KEEP_ALIVE: '  ' }).config.store.type, 'file')
  })

  void it('also applies when the file has the key blank, as the Agent writes empty fields', () => {
    assert.equal(load(`[store]\npath = ""\n${ROUTE}`, { MF_EXPORT_STORE_PATH: '/data/q' }).config.store.path, '/data/q')
  })

  void it('does not reject a bad variable that no key falls back to', () => {
    assert.equal(load(`[store]\ntype = "memory"\n${ROUTE}`, { MF_EXPORT_STORE_TYPE: 'disk' }).config.store.type, 'memory')
  })

  void describe('route variables', () => {
    const two = `${ROUTE}[[routes]]\nnats_topic = "alarms"\nmqtt_topic = "channels/c1/messages"\nsource = "core"\npriority = 1\n`

    void it('applies MF_EXPORT_ROUTE_SOURCE and MF_EXPORT_ROUTE_PRIORITY only to the routes that leave them out', () => {
      const { routes } = load(two, { MF_EXPORT_ROUTE_SOURCE: 'jetstream', MF_EXPORT_ROUTE_PRIORITY: '5' }).config
      assert.deepEqual(
        routes.map((r) => [r.natsTopic, r.source, r.priority]),
        [
          ['export', 'jetstream', 5],
          ['alarms', 'core', 1],
        ],
      )
    })

    void it('reports a bad route variable once, however many routes fall back to it', () => {
      const toml = `${ROUTE}[[routes]]\nnats_topic = "other"\nmqtt_topic = "channels/c1/messages"\n`
      assert.equal(
        messageOf(() => load(toml, { MF_EXPORT_ROUTE_SOURCE: 'kafka', MF_EXPORT_ROUTE_PRIORITY: '12' })),
        'MF_EXPORT_ROUTE_SOURCE: expected "core" or "jetstream", found "kafka"\nMF_EXPORT_ROUTE_PRIORITY must be between 0 and 9, found 12',
      )
    })
  })
})

void describe('configuration built from the environment (no config file)', () => {
  void it('validates with no variables at all, with the Go defaults', () => {
    const { config, warnings } = configFromEnv({})
    assert.deepEqual(config.exp, { natsUrls: ['nats://localhost:4222'], port: 8170, httpHost: '', httpToken: '', logLevel: 'info', heartbeatIntervalMs: 10_000 })
    assert.equal(config.mqtt.url, 'tcp://localhost:1883')
    assert.equal(config.mqtt.skipTlsVerify, true)
    assert.equal(config.mqtt.mtls, false)
    assert.deepEqual([config.mqtt.caPath, config.mqtt.clientCertPath, config.mqtt.clientKeyPath], ['', '', ''])
    assert.equal(config.mqtt.clientId, `export-${hostname()}`)
    assert.deepEqual(
      config.routes.map((r) => [r.natsTopic, r.mqttTopic, r.subtopic, r.type, r.workers]),
      [['export', 'channels//messages', '', 'default', 10]],
    )
    assert.deepEqual(warnings, ['environment: MF_EXPORT_MQTT_CHANNEL is not set: messages go to "channels//messages"'])
  })

  void it('maps every section-3 variable to its key', () => {
    const { config, warnings } = configFromEnv({
      MF_NATS_URL: 'bus:4222',
      MF_EXPORT_LOG_LEVEL: 'warn',
      MF_EXPORT_PORT: '9100',
      MF_EXPORT_MQTT_HOST: 'ssl://cloud:8883',
      MF_EXPORT_MQTT_USERNAME: 'thing-1',
      MF_EXPORT_MQTT_PASSWORD: 'key-1',
      MF_EXPORT_MQTT_CHANNEL: 'ch-1',
      MF_EXPORT_MQTT_SKIP_TLS: 'false',
      MF_EXPORT_MQTT_MTLS: 'true',
      MF_EXPORT_MQTT_CA: '/certs/ca.pem',
      MF_EXPORT_MQTT_CLIENT_CERT: '/certs/thing.pem',
      MF_EXPORT_MQTT_CLIENT_PK: '/certs/thing-key.pem',
      MF_EXPORT_MQTT_QOS: '2',
      MF_EXPORT_MQTT_RETAIN: 'true',
      MF_EXPORT_STORE_TYPE: 'memory',
      MF_EXPORT_STORE_PATH: '/data/q',
      MF_EXPORT_STORE_MAX_BYTES: '64MiB',
    })
    assert.deepEqual(warnings, [])
    assert.deepEqual(config.exp, { natsUrls: ['nats://bus:4222'], port: 9100, httpHost: '', httpToken: '', logLevel: 'warn', heartbeatIntervalMs: 10_000 })
    const m = config.mqtt
    assert.deepEqual(
      [m.url, m.username, m.password, m.clientId, m.skipTlsVerify, m.mtls, m.caPath, m.clientCertPath, m.clientKeyPath, m.qos, m.retain],
      ['ssl://cloud:8883', 'thing-1', 'key-1', 'export-thing-1', false, true, '/certs/ca.pem', '/certs/thing.pem', '/certs/thing-key.pem', 2, true],
    )
    assert.deepEqual(config.store, { type: 'memory', path: '/data/q', maxBytes: 64 * 1024 ** 2, overflow: 'drop_oldest', maxAgeMs: 0 })
    assert.equal(config.routes[0]?.mqttTopic, 'channels/ch-1/messages')
  })

  void it('accepts MF_BROKER_URL as an alias of MF_NATS_URL, which wins when both are set', () => {
    assert.deepEqual(configFromEnv({ MF_BROKER_URL: 'nats://old:4222' }).config.exp.natsUrls, ['nats://old:4222'])
    assert.deepEqual(configFromEnv({ MF_BROKER_URL: 'nats://old:4222', MF_NATS_URL: 'nats://new:4222' }).config.exp.natsUrls, ['nats://new:4222'])
  })

  void it('uses ca.crt, thing.crt and thing.key when mTLS is on and the files are not named', () => {
    const { mqtt } = configFromEnv({ MF_EXPORT_MQTT_MTLS: 'true' }).config
    assert.deepEqual([mqtt.caPath, mqtt.clientCertPath, mqtt.clientKeyPath], ['ca.crt', 'thing.crt', 'thing.key'])
  })

  void it('rejects MF_EXPORT_MQTT_QOS=high, naming the variable', () => {
    assert.equal(messageOf(() => configFromEnv({ MF_EXPORT_MQTT_QOS: 'high' })), 'MF_EXPORT_MQTT_QOS: expected 0, 1 or 2, found "high"')
  })

  void it('lists every bad variable in one error', () => {
    const message = messageOf(() =>
      rawConfigFromEnv({ MF_EXPORT_PORT: 'http', MF_EXPORT_MQTT_RETAIN: 'sometimes', MF_EXPORT_MQTT_HOST: 'http://cloud', MF_EXPORT_STORE_MAX_BYTES: 'big' }),
    )
    const lines = message.split('\n')
    assert.equal(lines.length, 4)
    assert.deepEqual(
      lines.map((l) => l.split(':')[0]),
      ['MF_EXPORT_PORT', 'MF_EXPORT_MQTT_HOST', 'MF_EXPORT_MQTT_RETAIN', 'MF_EXPORT_STORE_MAX_BYTES'],
    )
  })

  void it('rejects a channel id that would break the topic, naming the variable', () => {
    assert.equal(messageOf(() => configFromEnv({ MF_EXPORT_MQTT_CHANNEL: 'a/#' })), "MF_EXPORT_MQTT_CHANNEL must not contain '#'")
  })

  void it('applies section-7 variables to the keys the environment does not set', () => {
    const { config } = configFromEnv({ MF_EXPORT_MQTT_CLIENT_ID: 'gw-9', MF_EXPORT_ROUTE_PRIORITY: '3', MF_EXPORT_STORE_OVERFLOW: 'drop_newest' })
    assert.deepEqual([config.mqtt.clientId, config.routes[0]?.priority, config.store.overflow], ['gw-9', 3, 'drop_newest'])
  })

  void it('names a bad section-7 variable in an environment-only build', () => {
    assert.match(messageOf(() => configFromEnv({ MF_EXPORT_MQTT_KEEP_ALIVE: 'x' })), /^MF_EXPORT_MQTT_KEEP_ALIVE: expected a duration/)
  })

  void it('builds the Go-shaped raw object', () => {
    assert.deepEqual(rawConfigFromEnv({ MF_EXPORT_MQTT_CHANNEL: 'ch-1' }), {
      exp: { nats: 'nats://localhost:4222', log_level: 'info', port: 8170 },
      mqtt: {
        url: 'tcp://localhost:1883',
        username: '',
        password: '',
        qos: 0,
        retain: false,
        mtls: false,
        skip_tls_ver: true,
        ca_path: '',
        client_cert_path: '',
        client_priv_key_path: '',
      },
      routes: [{ nats_topic: 'export', mqtt_topic: 'channels/ch-1/messages', subtopic: '', type: 'default', workers: 10 }],
    })
  })
})
