import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { describe, it } from 'node:test'
import type { ParsedConfig } from '../../src/config/index.js'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'

const ROUTE = '[[routes]]\nnats_topic = "export"\nmqtt_topic = "channels/c1/messages"\n'

function load(toml: string, env: NodeJS.ProcessEnv = {}): ParsedConfig {
  return configFromRaw(parseConfigText(toml, 'config.toml'), { fileName: 'config.toml', env })
}

void describe('config keys, defaults and aliases', () => {
  void it('fills every default of docs/configuration.md when only a route is given', () => {
    const { config, warnings } = load(ROUTE)
    assert.deepEqual(warnings, [])
    assert.deepEqual(config, {
      exp: { natsUrls: ['nats://localhost:4222'], port: 8170, httpHost: '', httpToken: '', logLevel: 'info', heartbeatIntervalMs: 10_000 },
      mqtt: {
        url: 'tcp://localhost:1883',
        username: '',
        password: '',
        clientId: `export-${hostname()}`,
        qos: 0,
        retain: false,
        mtls: false,
        caPath: '',
        clientCertPath: '',
        clientKeyPath: '',
        clientCert: '',
        clientKey: '',
        skipTlsVerify: false,
        protocolVersion: 4,
        keepAliveMs: 30_000,
        maxInflight: 'auto',
        maxMessageBytes: 0,
      },
      store: { type: 'file', path: './export-store', maxBytes: 1024 ** 3, overflow: 'drop_oldest', maxAgeMs: 0 },
      routes: [
        {
          natsTopic: 'export',
          mqttTopic: 'channels/c1/messages',
          subtopic: '',
          type: 'default',
          workers: 10,
          source: 'core',
          stream: 'EXPORT',
          durable: 'export-export',
          priority: 0,
        },
      ],
    })
  })

  void it('derives the client id from the username, and takes client_id when given', () => {
    assert.equal(load(`[mqtt]\nusername = "thing-7"\n${ROUTE}`).config.mqtt.clientId, 'export-thing-7')
    assert.equal(load(`[mqtt]\nusername = "thing-7"\nclient_id = "gw-7"\n${ROUTE}`).config.mqtt.clientId, 'gw-7')
  })

  void describe('[exp] nats', () => {
    void it('accepts broker_url as an alias', () => {
      assert.deepEqual(load(`[exp]\nbroker_url = "nats://bus:4222"\n${ROUTE}`).config.exp.natsUrls, ['nats://bus:4222'])
    })

    void it('adds the nats:// scheme and the default port where they are left out', () => {
      assert.deepEqual(load(`[exp]\nnats = "bus:4223"\n${ROUTE}`).config.exp.natsUrls, ['nats://bus:4223'])
      assert.deepEqual(load(`[exp]\nnats = "nats://bus"\n${ROUTE}`).config.exp.natsUrls, ['nats://bus:4222'])
      assert.deepEqual(load(`[exp]\nnats = "tls://bus:4443"\n${ROUTE}`).config.exp.natsUrls, ['tls://bus:4443'])
    })

    void it('splits a comma-separated cluster list into several urls, keeping credentials', () => {
      assert.deepEqual(load(`[exp]\nnats = "n1:4222, nats://u:p@n2:4222 ,n3,"\n${ROUTE}`).config.exp.natsUrls, [
        'nats://n1:4222',
        'nats://u:p@n2:4222',
        'nats://n3:4222',
      ])
    })

    void it('prefers nats over broker_url and warns when they differ', () => {
      const { config, warnings } = load(`[exp]\nnats = "nats://a:4222"\nbroker_url = "nats://b:4222"\n${ROUTE}`)
      assert.deepEqual(config.exp.natsUrls, ['nats://a:4222'])
      assert.deepEqual(warnings, ['config.toml: [exp] broker_url "nats://b:4222" differs from nats "nats://a:4222"; using nats'])
    })
  })

  void describe('[mqtt] url', () => {
    void it('accepts host as an alias', () => {
      assert.equal(load(`[mqtt]\nhost = "ssl://cloud:8883"\n${ROUTE}`).config.mqtt.url, 'ssl://cloud:8883')
    })

    void it('lets url win over a different host, with a warning', () => {
      const { config, warnings } = load(`[mqtt]\nurl = "tcp://a:1883"\nhost = "tcp://b:1883"\n${ROUTE}`)
      assert.equal(config.mqtt.url, 'tcp://a:1883')
      assert.deepEqual(warnings, ['config.toml: [mqtt] host "tcp://b:1883" differs from url "tcp://a:1883"; using url'])
    })

    void it('does not warn when url and host agree', () => {
      assert.deepEqual(load(`[mqtt]\nurl = "tcp://a:1883"\nhost = "tcp://a:1883"\n${ROUTE}`).warnings, [])
    })

    void it('uses host when url is blank, as the Agent writes empty fields', () => {
      const { config, warnings } = load(`[mqtt]\nurl = ""\nhost = "tcp://b:1883"\n${ROUTE}`)
      assert.equal(config.mqtt.url, 'tcp://b:1883')
      assert.deepEqual(warnings, [])
    })

    void it('reads a url without a scheme as tcp://', () => {
      assert.equal(load(`[mqtt]\nurl = "cloud.example:1883"\n${ROUTE}`).config.mqtt.url, 'tcp://cloud.example:1883')
    })
  })

  void describe('[mqtt] certificate and key paths', () => {
    void it('accepts cert_path as an alias of client_cert_path', () => {
      assert.equal(load(`[mqtt]\ncert_path = "c.pem"\n${ROUTE}`).config.mqtt.clientCertPath, 'c.pem')
    })

    for (const alias of ['priv_key', 'priv_key_path', 'client_cert_key_path']) {
      void it(`accepts ${alias} as an alias of client_priv_key_path`, () => {
        assert.equal(load(`[mqtt]\n${alias} = "k.pem"\n${ROUTE}`).config.mqtt.clientKeyPath, 'k.pem')
      })
    }

    void it('takes the first non-empty of client_priv_key_path, priv_key, priv_key_path, client_cert_key_path', () => {
      const toml = `[mqtt]\nclient_priv_key_path = ""\npriv_key = ""\npriv_key_path = "second.pem"\nclient_cert_key_path = "third.pem"\n${ROUTE}`
      const { config, warnings } = load(toml)
      assert.equal(config.mqtt.clientKeyPath, 'second.pem')
      assert.deepEqual(warnings, ['config.toml: [mqtt] client_cert_key_path "third.pem" differs from priv_key_path "second.pem"; using priv_key_path'])
    })
  })

  void describe('values written as strings', () => {
    void it('reads booleans and numbers written as strings', () => {
      const toml = `[exp]\nport = "9000"\n[mqtt]\nqos = "2"\nretain = "true"\nskip_tls_ver = "yes"\nmtls = "0"\nprotocol_version = "5"\n${ROUTE}`
      const { exp, mqtt } = load(toml).config
      assert.deepEqual([exp.port, mqtt.qos, mqtt.retain, mqtt.skipTlsVerify, mqtt.mtls, mqtt.protocolVersion], [9000, 2, true, true, false, 5])
    })

    void it('reads protocol_version "3.1.1" as 4', () => {
      assert.equal(load(`[mqtt]\nprotocol_version = "3.1.1"\n${ROUTE}`).config.mqtt.protocolVersion, 4)
    })

    void it('takes a blank string as "not set", so the default applies', () => {
      const { config } = load(`[exp]\nport = ""\nlog_level = " "\n[mqtt]\nqos = ""\n${ROUTE}`)
      assert.deepEqual([config.exp.port, config.exp.logLevel, config.mqtt.qos], [8170, 'info', 0])
    })
  })

  void describe('keys that are ignored', () => {
    void it('ignores a top-level File or file key without a warning', () => {
      assert.deepEqual(load(`File = "/configs/export/config.toml"\n${ROUTE}`).warnings, [])
      assert.deepEqual(load(`file = "export.toml"\n${ROUTE}`).warnings, [])
    })

    void it('gives one warning in all for the legacy cache_url, cache_pass and cache_db', () => {
      const { warnings } = load(`[exp]\ncache_url = "localhost:6379"\ncache_pass = ""\ncache_db = "0"\n${ROUTE}`)
      assert.deepEqual(warnings, ['config.toml: [exp] cache_url, cache_pass, cache_db: legacy Redis cache settings are ignored'])
      assert.deepEqual(load(`[exp]\ncache_db = "0"\n${ROUTE}`).warnings, ['config.toml: [exp] cache_db: legacy Redis cache settings are ignored'])
    })

    void it('warns once for each unknown key, naming its path', () => {
      const toml = `colour = "blue"\n[exp]\nverbose = true\n[mqtt]\ntimeout = 5\n[store]\nfsync = "always"\n[metrics]\nport = 9\n${ROUTE}retries = 3\n`
      assert.deepEqual(load(toml).warnings, [
        'config.toml: colour: unknown key ignored',
        'config.toml: metrics: unknown key ignored',
        'config.toml: [exp] verbose: unknown key ignored',
        'config.toml: [mqtt] timeout: unknown key ignored',
        'config.toml: [store] fsync: unknown key ignored',
        'config.toml: routes[0] (nats_topic "export"): retries: unknown key ignored',
      ])
    })

    void it('matches keys exactly, hinting when only the case is wrong', () => {
      const { config, warnings } = load(`[MQTT]\nqos = 1\n[mqtt]\nQoS = 2\n${ROUTE}`)
      assert.equal(config.mqtt.qos, 0)
      assert.deepEqual(warnings, [
        'config.toml: MQTT: unknown key ignored (keys are lower case: did you mean "mqtt"?)',
        'config.toml: [mqtt] QoS: unknown key ignored (keys are lower case: did you mean "qos"?)',
      ])
    })
  })
})

describe('an empty broker address', () => {
  it('warns that the default broker is used when host is written but empty, as the Agent does for a url-only file', () => {
    const { config, warnings } = configFromRaw({ mqtt: { host: '' }, routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c/messages' }] }, { fileName: 'config.toml', env: {} })
    assert.equal(config.mqtt.url, 'tcp://localhost:1883')
    assert.ok(warnings.some((w) => /\[mqtt\] host is empty/.test(w)), warnings.join('\n'))
  })

  it('says nothing when the key is absent', () => {
    const { warnings } = configFromRaw({ routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c/messages' }] }, { fileName: 'config.toml', env: {} })
    assert.ok(!warnings.some((w) => /host is empty/.test(w)), warnings.join('\n'))
  })
})
