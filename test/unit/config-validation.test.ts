import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError } from '../../src/errors.js'
import type { ParsedConfig } from '../../src/config/index.js'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'

const ROUTE = '[[routes]]\nnats_topic = "export"\nmqtt_topic = "channels/c1/messages"\n'

function load(toml: string, env: NodeJS.ProcessEnv = {}): ParsedConfig {
  return configFromRaw(parseConfigText(toml, 'config.toml'), { fileName: 'config.toml', env })
}

/** The error lines of a config that must be rejected. */
function errorsOf(toml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    load(toml, env)
  } catch (err: unknown) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    assert.equal(err.code, 'EXP_CONFIG_INVALID')
    return err.message.split('\n')
  }
  assert.fail('the configuration was accepted')
}

function routeToml(fields: Record<string, string>): string {
  return `[[routes]]\n${Object.entries(fields)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n')}\n`
}

void describe('config validation', () => {
  void describe('[exp]', () => {
    void it('rejects a port that is not an integer or out of range', () => {
      assert.deepEqual(errorsOf(`[exp]\nport = "http"\n${ROUTE}`), ['config.toml: [exp] port: expected an integer, found "http"'])
      assert.deepEqual(errorsOf(`[exp]\nport = 70000\n${ROUTE}`), ['config.toml: [exp] port must be between 0 and 65535, found 70000'])
    })

    void it('rejects an unknown log level', () => {
      assert.deepEqual(errorsOf(`[exp]\nlog_level = "verbose"\n${ROUTE}`), [
        'config.toml: [exp] log_level: expected "debug", "info", "warn" or "error", found "verbose"',
      ])
    })

    void it('takes an IP address or a host name as http_host, and refuses a URL or a port', () => {
      assert.equal(load(`[exp]\nhttp_host = "127.0.0.1"\n${ROUTE}`).config.exp.httpHost, '127.0.0.1')
      assert.equal(load(`[exp]\nhttp_host = "[::1]"\n${ROUTE}`).config.exp.httpHost, '::1')
      assert.equal(load(`[exp]\nhttp_host = "localhost"\n${ROUTE}`).config.exp.httpHost, 'localhost')
      assert.equal(load(`[exp]\nhttp_host = ""\n${ROUTE}`).config.exp.httpHost, '')
      for (const bad of ['http://gw', '127.0.0.1:8170', 'my gateway']) {
        assert.match(errorsOf(`[exp]\nhttp_host = "${bad}"\n${ROUTE}`)[0] ?? '', /^config\.toml: \[exp\] http_host: expected an IP address or a host name/)
      }
    })

    void it('refuses an http_token that cannot travel in a header, without quoting it', () => {
      const token = 'two words-0123456789'
      const errors = errorsOf(`[exp]\nhttp_token = "${token}"\n${ROUTE}`)
      assert.match(errors[0] ?? '', /^config\.toml: \[exp\] http_token must be visible ASCII characters without spaces/)
      assert.ok(!errors.join('\n').includes('0123456789'), errors.join('\n'))
      assert.equal(load(`[exp]\nhttp_token = " tok-en.~+/= "\n${ROUTE}`).config.exp.httpToken, 'tok-en.~+/=')
    })

    void it('rejects a NATS url with another scheme, naming the key', () => {
      assert.match(errorsOf(`[exp]\nnats = "http://broker:4222"\n${ROUTE}`)[0] ?? '', /^config\.toml: \[exp\] nats: unsupported scheme "http:\/\/"/)
    })

    void it('rejects a zero or malformed heartbeat interval', () => {
      assert.deepEqual(errorsOf(`[exp]\nheartbeat_interval = "0s"\n${ROUTE}`), ['config.toml: [exp] heartbeat_interval must be greater than 0'])
      assert.match(errorsOf(`[exp]\nheartbeat_interval = "often"\n${ROUTE}`)[0] ?? '', /^config\.toml: \[exp\] heartbeat_interval: expected a duration/)
    })
  })

  void describe('[mqtt]', () => {
    void it('rejects qos "high" with the expected values and the value found', () => {
      assert.deepEqual(errorsOf(`[mqtt]\nqos = "high"\n${ROUTE}`), ['config.toml: [mqtt] qos: expected 0, 1 or 2, found "high"'])
      assert.deepEqual(errorsOf(`[mqtt]\nqos = 3\n${ROUTE}`), ['config.toml: [mqtt] qos: expected 0, 1 or 2, found 3'])
    })

    for (const scheme of ['tcp', 'mqtt', 'ssl', 'tls', 'tcps', 'mqtts', 'ws', 'wss']) {
      void it(`accepts a ${scheme}:// broker url as written`, () => {
        assert.equal(load(`[mqtt]\nurl = "${scheme}://cloud.example:1234/mqtt"\n${ROUTE}`).config.mqtt.url, `${scheme}://cloud.example:1234/mqtt`)
      })
    }

    for (const url of ['http://cloud:80', 'amqp://cloud:5672', 'nats://cloud:4222']) {
      void it(`rejects the broker url ${url}, listing the allowed schemes`, () => {
        const [line] = errorsOf(`[mqtt]\nurl = "${url}"\n${ROUTE}`)
        assert.match(line ?? '', /^config\.toml: \[mqtt\] url: unsupported scheme ".*:\/\/" in ".*", expected tcp:\/\/, mqtt:\/\/, .* or wss:\/\/$/)
      })
    }

    void it('rejects a broker url without a host', () => {
      assert.match(errorsOf(`[mqtt]\nurl = "tcp://:1883"\n${ROUTE}`)[0] ?? '', /^config\.toml: \[mqtt\] url: expected a broker URL/)
    })

    void it('names the host alias when the broker url is given under host', () => {
      assert.match(errorsOf(`[mqtt]\nhost = "http://x"\n${ROUTE}`)[0] ?? '', /^config\.toml: \[mqtt\] host: unsupported scheme/)
    })

    void it('rejects a protocol version other than 4, 5 or "3.1.1"', () => {
      assert.deepEqual(errorsOf(`[mqtt]\nprotocol_version = 3\n${ROUTE}`), [
        'config.toml: [mqtt] protocol_version: expected 4 (MQTT 3.1.1) or 5, found 3',
      ])
    })

    void it('rejects a keep-alive under 1s or over the MQTT limit of 65535s', () => {
      assert.deepEqual(errorsOf(`[mqtt]\nkeep_alive = "500ms"\n${ROUTE}`), [
        'config.toml: [mqtt] keep_alive must be between 1s and 18h12m15s, found 500ms',
      ])
      assert.equal(errorsOf(`[mqtt]\nkeep_alive = "1d"\n${ROUTE}`).length, 1)
    })

    void it('rejects a max_inflight beyond what packet ids allow, or that is not a number or auto', () => {
      assert.deepEqual(errorsOf(`[mqtt]\nmax_inflight = 70000\n${ROUTE}`), [
        'config.toml: [mqtt] max_inflight must be between 1 and 65535, found 70000 (MQTT packet ids allow 65535 unacknowledged messages)',
      ])
      assert.deepEqual(errorsOf(`[mqtt]\nmax_inflight = "lots"\n${ROUTE}`), ['config.toml: [mqtt] max_inflight: expected "auto" or an integer from 1 to 65535, found "lots"'])
      assert.deepEqual(errorsOf(`[mqtt]\nmax_inflight = 0\n${ROUTE}`).length, 1)
    })

    void it('reads max_inflight as auto (any case) or a number, also written as a string', () => {
      assert.equal(load(`[mqtt]\nmax_inflight = "AUTO"\n${ROUTE}`).config.mqtt.maxInflight, 'auto')
      assert.equal(load(`[mqtt]\nmax_inflight = "500"\n${ROUTE}`).config.mqtt.maxInflight, 500)
    })

    // Issue 10: the broker's size limit, for MQTT 3.1.1 brokers that cannot say theirs.
    void it('reads max_message_bytes as a size, 0 meaning no limit, and rejects what would refuse every message', () => {
      assert.equal(load(`[mqtt]\nmax_message_bytes = "100kB"\n${ROUTE}`).config.mqtt.maxMessageBytes, 100_000)
      assert.equal(load(`[mqtt]\nmax_message_bytes = 268435456\n${ROUTE}`).config.mqtt.maxMessageBytes, 268_435_456)
      assert.equal(load(ROUTE).config.mqtt.maxMessageBytes, 0)
      assert.deepEqual(errorsOf(`[mqtt]\nmax_message_bytes = 10\n${ROUTE}`), ['config.toml: [mqtt] max_message_bytes must be 0 (no limit) or at least 64 bytes, found 10'])
      assert.equal(errorsOf(`[mqtt]\nmax_message_bytes = "big"\n${ROUTE}`).length, 1)
    })

    void it('rejects a boolean it cannot read', () => {
      assert.deepEqual(errorsOf(`[mqtt]\nretain = "maybe"\n${ROUTE}`), ['config.toml: [mqtt] retain: expected true or false, found "maybe"'])
    })

    void it('rejects mtls without a certificate or key, naming [mqtt] mtls', () => {
      const [line, ...rest] = errorsOf(`[mqtt]\nmtls = true\n${ROUTE}`)
      assert.deepEqual(rest, [])
      assert.match(line ?? '', /^config\.toml: \[mqtt\] mtls is true but neither a client certificate .* nor a client key .* is set$/)
    })

    void it('rejects mtls with a certificate but no key, and a key but no certificate', () => {
      assert.match(errorsOf(`[mqtt]\nmtls = "true"\nclient_cert_path = "thing.crt"\n${ROUTE}`)[0] ?? '', /\[mqtt\] mtls is true but a client key .* is not set/)
      assert.match(errorsOf(`[mqtt]\nmtls = true\nclient_cert_key = "PEM"\n${ROUTE}`)[0] ?? '', /\[mqtt\] mtls is true but a client certificate .* is not set/)
    })

    void it('accepts mtls with certificate and key files, or inline PEM text', () => {
      const files = load(`[mqtt]\nmtls = true\ncert_path = "thing.crt"\npriv_key = "thing.key"\n${ROUTE}`).config.mqtt
      assert.deepEqual([files.mtls, files.clientCertPath, files.clientKeyPath], [true, 'thing.crt', 'thing.key'])
      const inline = load(`[mqtt]\nmtls = true\nclient_cert = "CERT PEM"\nclient_cert_key = "KEY PEM"\n${ROUTE}`).config.mqtt
      assert.deepEqual([inline.clientCert, inline.clientKey], ['CERT PEM', 'KEY PEM'])
    })
  })

  void describe('[store]', () => {
    void it('rejects an unknown store type, overflow policy, size or age', () => {
      const lines = errorsOf(`[store]\ntype = "disk"\noverflow = "drop_all"\nmax_bytes = "lots"\nmax_age = "forever"\n${ROUTE}`)
      assert.equal(lines.length, 4)
      assert.equal(lines[0], 'config.toml: [store] type: expected "file" or "memory", found "disk"')
      assert.equal(lines[1], 'config.toml: [store] max_bytes: expected a size in bytes or with a unit such as "512MiB", "1GiB" or "100MB", found "lots"')
      assert.equal(lines[2], 'config.toml: [store] overflow: expected "drop_oldest" or "drop_newest", found "drop_all"')
      assert.match(lines[3] ?? '', /^config\.toml: \[store\] max_age: expected a duration/)
    })

    void it('rejects a store bound of zero bytes', () => {
      assert.deepEqual(errorsOf(`[store]\nmax_bytes = 0\n${ROUTE}`), ['config.toml: [store] max_bytes must be greater than 0'])
    })

    void it('reads all store keys', () => {
      const { store } = load(`[store]\ntype = "memory"\npath = "/data/q"\nmax_bytes = "512MiB"\noverflow = "drop_newest"\nmax_age = "7d"\n${ROUTE}`).config
      assert.deepEqual(store, { type: 'memory', path: '/data/q', maxBytes: 512 * 1024 ** 2, overflow: 'drop_newest', maxAgeMs: 7 * 86_400_000 })
    })
  })

  void describe('[[routes]]', () => {
    void it('names the route by its 0-based index and nats_topic when mqtt_topic has a #', () => {
      const toml =
        routeToml({ nats_topic: '"a"', mqtt_topic: '"channels/c/messages"' }) +
        routeToml({ nats_topic: '"b"', mqtt_topic: '"channels/c/messages"' }) +
        routeToml({ nats_topic: '"export"', mqtt_topic: '"channels/c/messages/#"' })
      assert.deepEqual(errorsOf(toml), [`config.toml: routes[2] (nats_topic "export"): mqtt_topic must not contain '#'`])
    })

    void it('rejects + in mqtt_topic and wildcards or edge slashes in subtopic', () => {
      assert.deepEqual(errorsOf(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/+/messages"' })), [
        `config.toml: routes[0] (nats_topic "x"): mqtt_topic must not contain '+'`,
      ])
      for (const [subtopic, problem] of [
        ['"a/#"', "must not contain '#'"],
        ['"+"', "must not contain '+'"],
        ['"/gw"', "must not start or end with '/'"],
        ['"gw/"', "must not start or end with '/'"],
      ]) {
        assert.deepEqual(errorsOf(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', subtopic: subtopic ?? '' })), [
          `config.toml: routes[0] (nats_topic "x"): subtopic ${problem ?? ''}`,
        ])
      }
    })

    void it('requires nats_topic and mqtt_topic', () => {
      assert.deepEqual(errorsOf(routeToml({ mqtt_topic: '"channels/c/messages"' })), ['config.toml: routes[0]: nats_topic is required'])
      assert.deepEqual(errorsOf(routeToml({ nats_topic: '""', mqtt_topic: '"channels/c/messages"' })), ['config.toml: routes[0]: nats_topic is required'])
      assert.deepEqual(errorsOf(routeToml({ nats_topic: '"x"' })), ['config.toml: routes[0] (nats_topic "x"): mqtt_topic is required'])
    })

    const badSubjects: Array<[string, string]> = [
      ['export data', 'must not contain whitespace'],
      ['a..b', 'must not have empty tokens'],
      ['.a', 'must not have empty tokens'],
      ['a.', 'must not have empty tokens'],
      ['a.>.b', "may use '>' only as its whole last token"],
      ['a>', "may use '>' only as its whole last token"],
      ['a*.b', "may use '*' only as a whole token"],
    ]
    for (const [subject, problem] of badSubjects) {
      void it(`rejects the nats_topic "${subject}" (${problem})`, () => {
        const [line] = errorsOf(routeToml({ nats_topic: JSON.stringify(subject), mqtt_topic: '"channels/c/messages"' }))
        assert.ok(line?.startsWith(`config.toml: routes[0] (nats_topic ${JSON.stringify(subject)}): nats_topic ${problem}`), line)
      })
    }

    for (const subject of ['>', 'a.>', 'a.*.b', '*', 'channels.*.messages.>']) {
      void it(`accepts the nats_topic "${subject}"`, () => {
        assert.equal(load(routeToml({ nats_topic: JSON.stringify(subject), mqtt_topic: '"channels/c/messages"' })).config.routes[0]?.natsTopic, subject)
      })
    }

    void it('rejects an unknown type, and reads plain as default and MFX as mfx', () => {
      assert.deepEqual(errorsOf(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', type: '"json"' })), [
        'config.toml: routes[0] (nats_topic "x"): type: expected "default", "mfx" or "plain", found "json"',
      ])
      const plain = load(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', type: '"plain"' }))
      assert.equal(plain.config.routes[0]?.type, 'default')
      const mfx = load(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', type: '"MFX"' }))
      assert.equal(mfx.config.routes[0]?.type, 'mfx')
    })

    void it('rejects workers below 1 and reads workers given as a string', () => {
      assert.deepEqual(errorsOf(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', workers: '0' })), [
        'config.toml: routes[0] (nats_topic "x"): workers must be at least 1, found 0',
      ])
      assert.equal(load(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', workers: '"4"' })).config.routes[0]?.workers, 4)
    })

    // Issue 10: workers = 1000000 left 71,716 messages "in flight" for ever (packet ids wrap at 65,535).
    void it('rejects workers above 65535, naming the route and the reason', () => {
      assert.deepEqual(errorsOf(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', workers: '1000000' })), [
        'config.toml: routes[0] (nats_topic "x"): workers must be at most 65535 (MQTT packet ids allow no more messages in flight), found 1000000',
      ])
      assert.equal(load(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', workers: '65535' })).config.routes[0]?.workers, 65_535)
    })

    void it('rejects a priority outside 0–9 and an unknown source', () => {
      assert.deepEqual(errorsOf(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', priority: '10', source: '"kafka"' })), [
        'config.toml: routes[0] (nats_topic "x"): source: expected "core" or "jetstream", found "kafka"',
        'config.toml: routes[0] (nats_topic "x"): priority must be between 0 and 9, found 10',
      ])
    })

    void it('rejects stream and durable names JetStream would refuse', () => {
      const lines = errorsOf(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages"', stream: '"EX.PORT"', durable: '"my durable"' }))
      assert.equal(lines.length, 2)
      assert.match(lines[0] ?? '', /^config\.toml: routes\[0\] \(nats_topic "x"\): stream must not contain whitespace, '\.', /)
      assert.match(lines[1] ?? '', /^config\.toml: routes\[0\] \(nats_topic "x"\): durable must not contain whitespace/)
    })

    void it('derives a durable name the server accepts from any nats_topic', () => {
      const toml =
        routeToml({ nats_topic: '"channels.*.>"', mqtt_topic: '"channels/c/messages"' }) + routeToml({ nats_topic: '">"', mqtt_topic: '"channels/d/messages"' })
      assert.deepEqual(
        load(toml).config.routes.map((r) => r.durable),
        ['export-channels____', 'export-_'],
      )
    })

    void it('reads source, stream, durable and priority when given', () => {
      const route = load(
        routeToml({ nats_topic: '"alarms"', mqtt_topic: '"channels/c/messages"', source: '"jetstream"', stream: '"ALARMS"', durable: '"alarm-sink"', priority: '"9"' }),
      ).config.routes[0]
      assert.deepEqual([route?.source, route?.stream, route?.durable, route?.priority], ['jetstream', 'ALARMS', 'alarm-sink', 9])
    })

    void it('rejects two JetStream routes sharing a durable consumer on one stream', () => {
      const toml =
        routeToml({ nats_topic: '"a.b"', mqtt_topic: '"channels/c/messages"', source: '"jetstream"' }) +
        routeToml({ nats_topic: '"a_b"', mqtt_topic: '"channels/c/messages"', source: '"jetstream"' })
      assert.deepEqual(errorsOf(toml), ['config.toml: routes[1] (nats_topic "a_b"): durable "export-a_b" on stream "EXPORT" is already used by routes[0]'])
    })

    void it('rejects a duplicate nats_topic, naming both routes', () => {
      const toml = routeToml({ nats_topic: '"export"', mqtt_topic: '"channels/c/messages"' }) + routeToml({ nats_topic: '"export"', mqtt_topic: '"channels/d/messages"' })
      assert.deepEqual(errorsOf(toml), ['config.toml: routes[1] (nats_topic "export"): duplicate nats_topic, already used by routes[0]'])
    })

    void it('rejects a config without routes, or with an empty routes list', () => {
      assert.deepEqual(errorsOf('[exp]\nport = 8170\n'), ['config.toml: no [[routes]]: at least one route is required'])
      assert.deepEqual(errorsOf('routes = []\n'), ['config.toml: no [[routes]]: at least one route is required'])
    })

    void it('rejects routes that are not tables', () => {
      assert.deepEqual(errorsOf('routes = ["export"]\n'), ['config.toml: routes[0]: expected a table, found "export"'])
      assert.deepEqual(errorsOf('routes = "export"\n'), ['config.toml: routes: expected an array of tables ([[routes]]), found "export"'])
    })

    void it('only warns when mqtt_topic does not look like channels/<id>/messages', () => {
      const { config, warnings } = load(routeToml({ nats_topic: '"x"', mqtt_topic: '"site/gw1/telemetry"' }))
      assert.equal(config.routes[0]?.mqttTopic, 'site/gw1/telemetry')
      assert.deepEqual(warnings, [
        'config.toml: routes[0] (nats_topic "x"): mqtt_topic "site/gw1/telemetry" does not look like channels/<id>/messages; fine if the broker is not Mainflux',
      ])
      assert.deepEqual(load(routeToml({ nats_topic: '"x"', mqtt_topic: '"channels/c/messages/sub"' })).warnings, [])
    })
  })

  void describe('the whole file', () => {
    void it('collects every error into one ConfigError, one line each, in file order', () => {
      const toml = `[exp]\nport = "x"\n[mqtt]\nqos = "high"\nretain = "perhaps"\n${routeToml({ nats_topic: '"export"', mqtt_topic: '"a/#"', workers: '0' })}`
      const lines = errorsOf(toml)
      assert.deepEqual(lines, [
        'config.toml: [exp] port: expected an integer, found "x"',
        'config.toml: [mqtt] qos: expected 0, 1 or 2, found "high"',
        'config.toml: [mqtt] retain: expected true or false, found "perhaps"',
        `config.toml: routes[0] (nats_topic "export"): mqtt_topic must not contain '#'`,
        'config.toml: routes[0] (nats_topic "export"): workers must be at least 1, found 0',
      ])
    })

    void it('rejects a section that is not a table', () => {
      assert.deepEqual(errorsOf(`mqtt = 5\n${ROUTE}`), ['config.toml: [mqtt]: expected a table, found 5'])
    })

    void it('rejects a document that is not a table at the top level', () => {
      assert.throws(() => configFromRaw(['x'], { fileName: 'config.json', env: {} }), {
        name: 'ConfigError',
        message: 'config.json: expected a table of settings at the top level, found an array',
      })
    })
  })
})
