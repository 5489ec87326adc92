import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { encodeMainfluxMessage } from '../../src/route/mfx.js'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { freePort } from '../helpers/free-port.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { checkSequence, describeSequence, startCollector } from '../helpers/mqtt-collector.js'
import type { Collector } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { startNats } from '../helpers/nats-server.js'
import type { NatsServer } from '../helpers/nats-server.js'
import { queuedOf } from '../helpers/service-metrics.js'
import { startService } from '../helpers/service-process.js'
import type { LogEntry, ServiceProcess } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait.js'
import { FIXTURES_DIR } from '../helpers/fixtures.js'


/** A route as the Go service's config structure has it: the only route keys the Agent keeps. */
interface AgentRoute {
  nats_topic: string
  mqtt_topic: string
  subtopic?: string
  type?: 'default' | 'mfx'
  workers?: number
}

/** What goes into a config file written the way the Mainflux Agent writes it. */
interface AgentFile {
  /** The top-level `File` key: the path the Agent was told to save at. */
  file: string
  natsUrl: string
  mqttUrl: string
  httpPort: number
  qos?: 0 | 1 | 2
  username?: string
  password?: string
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
  routes: AgentRoute[]
}

/**
 * A config file in the shape the Agent saves after `save, export, <file>, <base64>` (docs/operations.md, "The Agent's `save` command"): the
 * go-toml output of the Go service's `Config` struct, as in fixtures/agent-saved-config.toml: a
 * top-level `File`, keys sorted, two-space indents, `port` as a string, the broker under `host`,
 * the legacy `cache_*` keys, and none of the keys that are new in this service.
 */
function agentSavedToml(o: AgentFile): string {
  const s = (v: string): string => JSON.stringify(v) // a TOML basic string, for the ASCII used here
  const lines = [
    `File = ${s(o.file)}`,
    '',
    '[exp]',
    '  cache_db = "0"',
    '  cache_pass = ""',
    '  cache_url = "localhost:6379"',
    `  log_level = ${s(o.logLevel ?? 'info')}`,
    `  nats = ${s(o.natsUrl)}`,
    `  port = ${s(String(o.httpPort))}`,
    '',
    '[mqtt]',
    '  ca_path = ""',
    '  client_cert = ""',
    '  client_cert_key = ""',
    '  client_cert_path = ""',
    '  client_priv_key_path = ""',
    `  host = ${s(o.mqttUrl)}`,
    '  mtls = false',
    `  password = ${s(o.password ?? '')}`,
    `  qos = ${o.qos ?? 0}`,
    '  retain = false',
    '  skip_tls_ver = true',
    `  username = ${s(o.username ?? '')}`,
  ]
  for (const r of o.routes) {
    lines.push(
      '',
      '[[routes]]',
      `  mqtt_topic = ${s(r.mqtt_topic)}`,
      `  nats_topic = ${s(r.nats_topic)}`,
      `  subtopic = ${s(r.subtopic ?? '')}`,
      `  type = ${s(r.type ?? 'default')}`,
      `  workers = ${r.workers ?? 10}`,
    )
  }
  return `${lines.join('\n')}\n`
}

/** Subjects the service's NATS connection is subscribed to, as the server sees them (connz). */
async function serviceSubscriptions(nats: NatsServer): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${nats.monitorPort}/connz?subs=detail`)
  const body = (await res.json()) as {
    connections?: Array<{ name?: string; subscriptions_list_detail?: Array<{ subject: string }> }>
  }
  return (body.connections ?? [])
    .filter((c) => c.name === 'mainflux-export')
    .flatMap((c) => (c.subscriptions_list_detail ?? []).map((d) => d.subject))
}

/**
 * Waits until the server has the service's subscriptions to exactly these route subjects (besides
 * the Agent's subjects): the service logs "route subscribed" before the server has processed the
 * SUB, and a test that publishes earlier would lose its message to a race, not to the bridge.
 */
async function waitForRouteSubjects(nats: NatsServer, subjects: string[], timeoutMs = 10_000): Promise<void> {
  const want = [...subjects].sort()
  let seen: string[] = []
  await waitFor(
    async () => {
      seen = (await serviceSubscriptions(nats)).filter((s) => !s.endsWith('commands.export.config')).sort()
      return JSON.stringify(seen) === JSON.stringify(want)
    },
    { timeoutMs, what: `subscriptions ${want.join(', ')}` },
  ).catch((err: unknown) => {
    throw new Error(`the service is subscribed to [${seen.join(', ')}], expected [${want.join(', ')}]`, { cause: err })
  })
}

/** Waits until the server has the service's subscriptions to the Agent's two reload subjects. */
async function waitForAgentSubjects(nats: NatsServer): Promise<void> {
  await waitFor(
    async () => {
      const subs = await serviceSubscriptions(nats)
      return subs.includes('commands.export.config') && subs.includes('channels.commands.export.config')
    },
    { timeoutMs: 10_000, what: "the service's subscriptions to the Agent's reload subjects" },
  )
}

async function publishOne(natsUrl: string, subject: string, payload: string | Uint8Array = ''): Promise<void> {
  const nc = await connect({ servers: natsUrl })
  try {
    nc.publish(subject, payload)
    await nc.flush()
  } finally {
    await nc.close()
  }
}

async function postReload(httpPort: number): Promise<{ status: number; body: { ok: boolean; changes: string[]; error?: string } }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) })
  return { status: res.status, body: (await res.json()) as { ok: boolean; changes: string[]; error?: string } }
}

/** The number of "configuration reloaded" lines so far; a reload is awaited as the next one. */
function reloadsLogged(service: ServiceProcess): number {
  return service.logs.filter(isReloaded).length
}

function isReloaded(e: LogEntry): boolean {
  return typeof e.message === 'string' && e.message.startsWith('configuration reloaded')
}

async function waitForReload(service: ServiceProcess, before: number, what: string): Promise<LogEntry> {
  await waitFor(() => reloadsLogged(service) > before, { timeoutMs: 10_000, what }).catch((err: unknown) => {
    const failed = service.logs.filter((e) => e.message === 'reload failed; previous configuration kept').map((e) => String(e.err))
    throw new Error(`${what}: no reload logged${failed.length > 0 ? `; reload failed: ${failed.join(' | ')}` : ''}`, { cause: err })
  })
  return service.logs.filter(isReloaded)[before]!
}

/** Waits until the service holds nothing: every message received so far has reached the broker. */
async function waitForEmptyQueue(service: ServiceProcess): Promise<void> {
  await waitFor(async () => (await queuedOf(service)) === 0, { timeoutMs: 10_000, what: 'an empty queue' })
}

describe('the Agent config file shape used by these tests', () => {
  it('is byte for byte the shape of fixtures/agent-saved-config.toml', async () => {
    const fixture = await readFile(join(FIXTURES_DIR, 'agent-saved-config.toml'), 'utf8')
    const channel = 'channels/05ff7d0b-62be-433a-9eff-cd963b4c6b5d/messages'
    const text = agentSavedToml({
      file: '/configs/export/config.toml',
      natsUrl: 'nats://broker:4222',
      mqttUrl: 'tcp://mqtt-adapter:1883',
      httpPort: 8170,
      qos: 0,
      logLevel: 'debug',
      username: '77d74527-7457-4dc2-9b36-01f01ce62726',
      password: '0f6bc453-4e5f-40f6-bc94-de8238b60c19',
      routes: [
        { nats_topic: 'export', mqtt_topic: channel },
        { nats_topic: 'channels', mqtt_topic: channel, type: 'mfx' },
      ],
    })
    assert.equal(text.trimEnd(), fixture.trimEnd())
  })
})

/**
 * The Agent's steps (docs/compatibility.md, "Checked against the real Mainflux Agent"): it rewrites the config file in the Go service's shape, then publishes
 * on NATS, with an empty payload (Agents of the seed's time) or an empty Mainflux message through
 * the messaging layer (later Agents). Meanwhile a paced stream flows on a route that stays.
 */
const AGENT_COMMANDS = [
  { subject: 'commands.export.config', payload: (): Uint8Array => new Uint8Array(0), what: 'an empty payload' },
  {
    subject: 'channels.commands.export.config',
    payload: (): Uint8Array =>
      encodeMainfluxMessage({ channel: 'commands', subtopic: 'export.config', publisher: 'agent', protocol: 'nats', payload: new Uint8Array(0) }),
    what: 'an empty Mainflux message',
  },
] as const

const STREAM_COUNT = 1500
const STREAM_RATE = 500 // msg/s: a 3 s stream, so that the reload lands in its middle

for (const command of AGENT_COMMANDS) {
  describe(`reload when the Agent announces a saved file on ${command.subject} (${command.what})`, () => {
    it('starts the new route, stops the removed one, and the unchanged route loses nothing', async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const nats = td.use(await startNats(), 'nats')
      const mosquitto = td.use(await startMosquitto(), 'mosquitto')
      const collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/#', qos: 1 }), 'collector')
      const httpPort = await freePort()
      const base = {
        natsUrl: nats.url,
        mqttUrl: mosquitto.url.replace('mqtt://', 'tcp://'),
        httpPort,
        qos: 1 as const,
        username: 'thing-reload',
        password: 'thing-key',
      }
      const keep: AgentRoute = { nats_topic: 'keep', mqtt_topic: 'channels/keep/messages' }
      // The service starts on a file the Agent saved, as on a gateway managed remotely.
      const dir = await makeTempDir('reload-config')
      td.add(() => removeDir(dir), 'config dir')
      const configPath = join(dir, 'export-config.toml')
      await writeFile(configPath, agentSavedToml({ ...base, file: configPath, routes: [keep, { nats_topic: 'old', mqtt_topic: 'channels/old/messages' }] }))
      const service = td.use(
        await startService({
          httpPort,
          configPath,
          // The Agent drops client_id: a gateway sets it in the environment instead.
          env: { MF_EXPORT_MQTT_CLIENT_ID: `export-reload-${process.pid}-${httpPort}` },
        }),
        'service',
      )
      await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
      await waitForRouteSubjects(nats, ['keep.>', 'old.>'])
      await waitForAgentSubjects(nats)

      // Before the reload, the route that is going to be removed works.
      await publishOne(nats.url, 'old.before', 'old-before')
      await collector.waitForCount(1, 5000)
      assert.deepEqual(collector.payloads('channels/old/messages/old/before'), ['old-before'])
      collector.clear()

      let streamDone = false
      const streaming = publishSequence(nats.url, 'keep.seq', STREAM_COUNT, { ratePerSec: STREAM_RATE, batch: 50 }).finally(() => {
        streamDone = true
      })
      const keepTopic = 'channels/keep/messages/keep/seq'
      await waitFor(() => collector.payloads(keepTopic).length >= 200, { timeoutMs: 10_000, what: '200 messages of the stream' })

      // The Agent: rewrite the file (new route, one removed, one unchanged), then announce it.
      const reloadsBefore = reloadsLogged(service)
      await writeFile(configPath, agentSavedToml({ ...base, file: configPath, routes: [keep, { nats_topic: 'new', mqtt_topic: 'channels/new/messages' }] }))
      await publishOne(nats.url, command.subject, command.payload())
      const reloaded = await waitForReload(service, reloadsBefore, `a reload after a message on ${command.subject}`)
      const deliveredAtReload = collector.payloads(keepTopic).length
      assert.equal(streamDone, false, 'the stream had ended before the reload: the test proves nothing about a gap')
      assert.equal(reloaded.trigger, `nats ${command.subject}`)
      assert.deepEqual([...(reloaded.changes as string[])].sort(), ['route new added', 'route old removed'])
      await waitForRouteSubjects(nats, ['keep.>', 'new.>'])

      // The new route works.
      await publishOne(nats.url, 'new.after', 'new-after')
      await waitFor(() => collector.payloads('channels/new/messages/new/after').length === 1, { timeoutMs: 5000, what: 'the message on the new route' })

      // The removed route no longer takes messages: one published on its subject before a marker
      // on the new route would have reached the service first (same NATS connection, in order).
      await publishOne(nats.url, 'old.after', 'old-after')
      await publishOne(nats.url, 'new.marker', 'marker-1')
      await waitFor(() => collector.payloads('channels/new/messages/new/marker').length === 1, { timeoutMs: 5000, what: 'marker 1' })
      await streaming
      await waitFor(() => new Set(collector.payloads(keepTopic)).size >= STREAM_COUNT, { timeoutMs: 15_000, what: `${STREAM_COUNT} stream messages` }).catch(() => undefined) // the sequence report below says what is missing
      await waitForEmptyQueue(service)
      // Everything the broker took before this second marker has been passed on to the collector.
      await publishOne(nats.url, 'new.marker', 'marker-2')
      await waitFor(() => collector.payloads('channels/new/messages/new/marker').length === 2, { timeoutMs: 5000, what: 'marker 2' })
      assert.deepEqual(
        collector.messages.filter((m) => m.topic.startsWith('channels/old/')).map((m) => m.topic),
        [],
        'a message on the removed route was still exported',
      )

      // The unchanged route kept its subscription: the whole stream, in order, no gap.
      const report = checkSequence(collector.payloads(keepTopic), expectedSequence(STREAM_COUNT))
      assert.ok(report.ok, describeSequence(report))
      assert.ok(deliveredAtReload < STREAM_COUNT, 'the reload did not land in the middle of the stream')
      const keepSubscribed = service.logs.filter((e) => e.message === 'route subscribed' && e.route === 'keep').length
      assert.equal(keepSubscribed, 1, 'the unchanged route was subscribed again')
    })
  })
}

describe('reload of an invalid file, then of a valid one (POST /reload) and SIGHUP', () => {
  const td = new Teardown()
  let nats: NatsServer
  let collector: Collector
  let service: ServiceProcess
  let httpPort: number
  let configFor: (routes: AgentRoute[]) => string

  before(async () => {
    const world = await startBridgeWorld(td, {
      collector: { topic: 'channels/#', qos: 1 },
      config: { routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages' }] },
      ready: ['connected'],
    })
    nats = world.nats
    collector = world.collector
    service = world.service
    httpPort = world.httpPort
    // The file the service started with, with other routes.
    configFor = (routes) => bridgeConfigToml({ natsUrl: world.nats.url, mqttUrl: world.mqttUrl, httpPort: world.httpPort, routes: routes.map((r) => ({ ...r })) })
    await waitForRouteSubjects(nats, ['export.>'])
  })
  after(() => td.run())

  it('answers 422 to a file with a syntax error, keeps the old routes and shows the error on /health', async () => {
    const configPath = service.configPath!
    await writeFile(configPath, '[exp\nnats = "nats://127.0.0.1:4222"\n')
    const { status, body } = await postReload(httpPort)
    assert.equal(status, 422)
    assert.equal(body.ok, false)
    assert.match(body.error ?? '', new RegExp(`${escapeRegExp(configPath)}: line 1, column \\d+`))

    await publishOne(nats.url, 'export.still', 'still working')
    await collector.waitForCount(1, 5000)
    assert.deepEqual(collector.payloads('channels/c1/messages/export/still'), ['still working'])
    await waitForRouteSubjects(nats, ['export.>'])

    const health = await service.health()
    assert.equal(health.status, 200, 'a failed reload must not fail the health check')
    const lastError = (health.body as { last_error: string }).last_error
    assert.match(lastError, /reload failed/)
    assert.ok(lastError.includes(configPath), `last_error does not name the file: ${lastError}`)
    await service.waitForLog((e) => e.message === 'reload failed; previous configuration kept' && e.trigger === 'POST /reload', 1000)
  })

  it('answers 422 to a file that does not validate, naming the route', async () => {
    await writeFile(service.configPath!, configFor([{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages/#' }]))
    const { status, body } = await postReload(httpPort)
    assert.equal(status, 422)
    assert.match(body.error ?? '', /routes\[0\].*export/s)
    const lastError = ((await service.health()).body as { last_error: string }).last_error
    assert.match(lastError, /reload failed/)
  })

  it('applies a valid file and clears last_error', async () => {
    await writeFile(
      service.configPath!,
      configFor([
        { nats_topic: 'export', mqtt_topic: 'channels/c1/messages' },
        { nats_topic: 'alarms', mqtt_topic: 'channels/c2/messages' },
      ]),
    )
    const { status, body } = await postReload(httpPort)
    assert.equal(status, 200)
    assert.equal(body.ok, true)
    assert.deepEqual(body.changes, ['route alarms added'])
    assert.equal(((await service.health()).body as { last_error: string }).last_error, '')
    await waitForRouteSubjects(nats, ['alarms.>', 'export.>'])
    collector.clear()
    await publishOne(nats.url, 'alarms.fire', 'fire')
    await collector.waitForCount(1, 5000)
    assert.equal(collector.messages[0]!.topic, 'channels/c2/messages/alarms/fire')
  })

  it('reloads on SIGHUP', async () => {
    await writeFile(service.configPath!, configFor([{ nats_topic: 'alarms', mqtt_topic: 'channels/c3/messages' }]))
    const before = reloadsLogged(service)
    process.kill(service.pid, 'SIGHUP')
    const reloaded = await waitForReload(service, before, 'a reload after SIGHUP')
    assert.equal(reloaded.trigger, 'SIGHUP')
    assert.deepEqual([...(reloaded.changes as string[])].sort(), ['route alarms changed', 'route export removed'])
    await waitForRouteSubjects(nats, ['alarms.>'])
    collector.clear()
    await publishOne(nats.url, 'alarms.smoke', 'smoke')
    await collector.waitForCount(1, 5000)
    assert.equal(collector.messages[0]!.topic, 'channels/c3/messages/alarms/smoke')
    assert.equal((await service.health()).status, 200, 'the service did not survive SIGHUP')
  })
})

/**
 * `[mqtt]` changes reconnect (docs/configuration.md, "Reload"): the dispatcher pauses, a new connection takes over, and
 * whatever was queued or in flight meanwhile is sent on it. A paced stream runs across the switch.
 */
describe('reload of [mqtt] settings', () => {
  for (const change of ['qos 0 → 1 (a file the Agent saved)', 'client_id (an operator-written file)'] as const) {
    it(`reconnects on a ${change} change and loses nothing of a stream`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const nats = td.use(await startNats(), 'nats')
      const mosquitto = td.use(await startMosquitto(), 'mosquitto')
      const collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/#', qos: 2 }), 'collector')
      const httpPort = await freePort()
      const route = { nats_topic: 'export', mqtt_topic: 'channels/c1/messages' }
      const mqttUrl = mosquitto.url.replace('mqtt://', 'tcp://')
      const oldClientId = `export-old-${process.pid}-${httpPort}`
      const newClientId = `export-new-${process.pid}-${httpPort}`
      const agentShape = change.startsWith('qos')
      const fileText = (step: 'before' | 'after', path: string): string =>
        agentShape
          ? agentSavedToml({ file: path, natsUrl: nats.url, mqttUrl, httpPort, qos: step === 'before' ? 0 : 1, routes: [route] })
          : bridgeConfigToml({ natsUrl: nats.url, mqttUrl, httpPort, qos: 1, clientId: step === 'before' ? oldClientId : newClientId, routes: [route] })
      const service = td.use(await startService({ httpPort, configText: fileText('before', 'config.toml') }), 'service')
      await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
      await waitForRouteSubjects(nats, ['export.>'])

      let streamDone = false
      const streaming = publishSequence(nats.url, 'export.seq', STREAM_COUNT, { ratePerSec: STREAM_RATE, batch: 50 }).finally(() => {
        streamDone = true
      })
      await collector.waitForCount(200, 10_000)
      await writeFile(service.configPath!, fileText('after', service.configPath!))
      const { status, body } = await postReload(httpPort)
      assert.equal(status, 200, JSON.stringify(body))
      assert.ok(body.changes.includes('[mqtt] reconnect'), `changes: ${body.changes.join(', ')}`)
      assert.equal(streamDone, false, 'the stream had ended before the reload')
      await waitFor(() => service.logs.filter((e) => e.message === 'connected to MQTT broker').length >= 2, {
        timeoutMs: 15_000,
        what: 'the new MQTT connection',
      })
      await streaming
      await waitFor(() => new Set(collector.payloads()).size >= STREAM_COUNT, { timeoutMs: 15_000, what: `${STREAM_COUNT} messages` }).catch(() => undefined) // the report below says what is missing
      const report = checkSequence(collector.payloads(), expectedSequence(STREAM_COUNT))
      assert.ok(report.ok, describeSequence(report))
      await waitForEmptyQueue(service)

      const last = collector.messages.at(-1)!
      if (agentShape) {
        assert.equal(collector.messages[0]!.qos, 0, 'the first messages were not sent at QoS 0')
        assert.equal(last.qos, 1, 'the messages after the reload were not sent at QoS 1')
      } else {
        assert.match(mosquitto.output(), new RegExp(`New client connected from \\S+ as ${newClientId}\\b`))
        assert.equal(last.qos, 1)
      }
    })
  }
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
