import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'
import { parseDemoArgs } from '../../src/demo/args.js'
import { MissingProgramError, findProgram } from '../../src/demo/brokers.js'
import { describeLogLine } from '../../src/demo/demo.js'
import { demoConfigToml } from '../../src/demo/demo-config.js'
import { alarmSenml, telemetrySenml } from '../../src/demo/fleet.js'

void describe('demo config', () => {
  const text = demoConfigToml({ natsUrl: 'nats://127.0.0.1:4333', mqttPort: 18830, httpPort: 18170, storeDir: '/tmp/demo "x"/store' })
  const { config, warnings } = configFromRaw(parseConfigText(text, 'demo.toml'), { fileName: 'demo.toml', env: {} })

  void it('is a valid config the service accepts without a warning', () => {
    assert.deepEqual(warnings, [])
  })

  void it('has a file store in the temp dir, QoS 1, and the link cutter as the broker', () => {
    assert.equal(config.store.type, 'file')
    assert.equal(config.store.path, '/tmp/demo "x"/store')
    assert.equal(config.mqtt.qos, 1)
    assert.match(text, /url = "tcp:\/\/127\.0\.0\.1:18830"/)
    assert.equal(config.exp.port, 18170)
  })

  void it('has two routes, alarms at priority 5', () => {
    const routes = config.routes.map((r) => ({ natsTopic: r.natsTopic, priority: r.priority }))
    assert.deepEqual(routes, [
      { natsTopic: 'export', priority: 0 },
      { natsTopic: 'alarms', priority: 5 },
    ])
  })
})

void describe('demo fleet payloads', () => {
  void it('are SenML JSON records with a base name, names, units and values', () => {
    const telemetry = JSON.parse(telemetrySenml('dev-01', 1_700_000_000_000, 3)) as Array<Record<string, unknown>>
    assert.equal(telemetry[0]?.bn, 'urn:dev:demo:dev-01:')
    assert.equal(telemetry[0]?.bt, 1_700_000_000)
    for (const record of telemetry) {
      assert.equal(typeof record.n, 'string')
      assert.equal(typeof record.u, 'string')
      assert.equal(typeof record.v, 'number')
    }
    const alarm = JSON.parse(alarmSenml('dev-02', 1_700_000_000_000, true)) as Array<Record<string, unknown>>
    assert.deepEqual(alarm, [{ bn: 'urn:dev:demo:dev-02:', bt: 1_700_000_000, n: 'door', vs: 'open' }])
  })
})

void describe('demo flags', () => {
  void it('default to a 10 s cut every minute at 200 msg/s on port 8170', () => {
    assert.deepEqual(parseDemoArgs([]), {
      httpPort: 8170,
      telemetryPerSecond: 200,
      alarmsPerSecond: 2,
      devices: 20,
      cutEverySec: 60,
      cutForSec: 10,
      reportEverySec: 5,
    })
  })

  void it('refuse a cut as long as its period, a bad number and an unknown flag', () => {
    assert.throws(() => parseDemoArgs(['--cut-every', '10', '--cut-for', '10']), /--cut-for \(10\) must be shorter than --cut-every \(10\)/)
    assert.throws(() => parseDemoArgs(['--rate', 'fast']), /--rate: expected a number from 0 to 100000, found "fast"/)
    assert.throws(() => parseDemoArgs(['--http-port', '70000']), /--http-port: expected a number from 0 to 65535/)
    assert.throws(() => parseDemoArgs(['--bogus']), /bogus/)
    assert.equal(parseDemoArgs(['-h']), 'help')
  })
})

void describe('demo output', () => {
  void it('shows a service log line as level and message, and anything else as it is', () => {
    assert.equal(describeLogLine('{"level":"warn","ts":"x","message":"MQTT connection lost; messages wait in the store"}'), 'warn: MQTT connection lost; messages wait in the store')
    assert.equal(describeLogLine('TypeError: boom'), 'TypeError: boom')
  })

  void it('names the packages to install when a broker is missing', () => {
    assert.throws(
      () => findProgram('nats-server', ['/nonexistent-dir']),
      (err: unknown) => err instanceof MissingProgramError && /nats-server not found .*install it with "sudo apt-get install -y nats-server mosquitto"/.test(err.message),
    )
  })
})
