import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Config } from '../../src/config/index.js'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'
import { describeAction, planReload } from '../../src/reload/reload-plan.js'
import type { ReloadAction } from '../../src/reload/reload-plan.js'

const BASE = `
[exp]
nats = "nats://localhost:4222"
port = 8170
log_level = "info"

[mqtt]
url = "tcp://localhost:1883"
qos = 1

[store]
type = "memory"

[[routes]]
nats_topic = "export"
mqtt_topic = "channels/c1/messages"

[[routes]]
nats_topic = "alarms"
mqtt_topic = "channels/c1/messages"
priority = 5
`

/** BASE with `edit` applied to its text. */
function config(edit: (toml: string) => string = (t) => t): Config {
  return configFromRaw(parseConfigText(edit(BASE), 'config.toml'), { fileName: 'config.toml', env: {} }).config
}

function kinds(actions: readonly ReloadAction[]): string[] {
  return actions.map((a) => a.kind)
}

function changes(actions: readonly ReloadAction[]): string[] {
  return actions.map(describeAction).filter((c): c is string => c !== undefined)
}

describe('reload plan', () => {
  it('plans nothing when the file did not change', () => {
    const plan = planReload(config(), config())
    assert.deepEqual(plan.actions, [])
    assert.deepEqual(plan.config, config())
  })

  it('adds, replaces and removes routes by nats_topic, removed and changed ones first', () => {
    const next = config((t) => t.replace('priority = 5', 'priority = 7').replace('nats_topic = "export"', 'nats_topic = "telemetry"'))
    const plan = planReload(config(), next)
    assert.deepEqual(kinds(plan.actions), ['route-remove', 'route-replace', 'route-add'])
    assert.deepEqual(changes(plan.actions), ['route export removed', 'route alarms changed', 'route telemetry added'])
    const replace = plan.actions[1]
    assert.ok(replace?.kind === 'route-replace')
    assert.equal(replace.route.priority, 7)
  })

  it('reconnects MQTT when any [mqtt] key changed, after the routes', () => {
    const plan = planReload(config(), config((t) => t.replace('qos = 1', 'qos = 2').replace('priority = 5', 'priority = 6')))
    assert.deepEqual(kinds(plan.actions), ['route-replace', 'mqtt-reconnect'])
    const last = plan.actions.at(-1)
    assert.ok(last?.kind === 'mqtt-reconnect')
    assert.equal(last.mqtt.qos, 2)
  })

  it('applies log_level, heartbeat_interval and http_token at once', () => {
    const next = config((t) => t.replace('log_level = "info"', 'log_level = "debug"\nheartbeat_interval = "30s"\nhttp_token = "s3cret-token-1"'))
    const plan = planReload(config(), next)
    assert.deepEqual(changes(plan.actions), ['http_token', 'log_level debug', 'heartbeat_interval'])
    assert.equal(plan.config.exp.httpToken, 's3cret-token-1')
    assert.equal(plan.config.exp.logLevel, 'debug')
  })

  it('warns that nats, port and http_host need a restart, and keeps their running values', () => {
    const next = config((t) => t.replace('nats://localhost:4222', 'nats://other:4222').replace('port = 8170', 'port = 9000\nhttp_host = "127.0.0.1"'))
    const plan = planReload(config(), next)
    assert.deepEqual(
      plan.actions.map((a) => (a.kind === 'warn-restart-needed' ? a.key : a.kind)),
      ['nats', 'port', 'http_host'],
    )
    assert.deepEqual(plan.config.exp.natsUrls, config().exp.natsUrls)
    assert.equal(plan.config.exp.port, 8170)
    assert.equal(plan.config.exp.httpHost, config().exp.httpHost)
  })

  it('warns about a changed [store] once per value, and keeps the running store', () => {
    const running = config()
    const next = config((t) => t.replace('type = "memory"', 'type = "memory"\nmax_bytes = "1MiB"'))
    const first = planReload(running, next)
    assert.deepEqual(kinds(first.actions), ['warn-restart-needed'])
    assert.deepEqual(first.config.store, running.store)
    assert.deepEqual(first.storeWarnedFor, next.store)
    // The same file again: said already.
    const again = planReload(first.config, next, first.storeWarnedFor)
    assert.deepEqual(again.actions, [])
    // Another value: said again.
    const other = config((t) => t.replace('type = "memory"', 'type = "memory"\nmax_bytes = "2MiB"'))
    assert.deepEqual(kinds(planReload(first.config, other, first.storeWarnedFor).actions), ['warn-restart-needed'])
  })

  it('is pure: planning twice gives the same plan and changes neither configuration', () => {
    const running = config()
    const next = config((t) => t.replace('qos = 1', 'qos = 0'))
    const before = structuredClone({ running, next })
    assert.deepEqual(planReload(running, next), planReload(running, next))
    assert.deepEqual({ running, next }, before)
  })
})
