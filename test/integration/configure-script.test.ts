import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'
import type { Config } from '../../src/config/index.js'
import { requireBinary } from '../helpers/binaries.js'
import { startBootstrapStandIn } from '../helpers/bootstrap-stand-in.js'
import type { StandInGateway, StandInOptions } from '../helpers/bootstrap-stand-in.js'
import { startDaemon } from '../helpers/daemon.js'
import { freePort } from '../helpers/free-port.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { startCollector } from '../helpers/mqtt-collector.js'
import { startNats } from '../helpers/nats-server.js'
import { Teardown } from '../helpers/teardown.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait.js'

const CONFIGURE = resolve(process.cwd(), 'scripts/configure.sh')
const EXPORT_START = resolve(process.cwd(), 'scripts/export_start')

const USER = { email: 'ops@example.com', password: 'pa"ss w0rd&' }
const TOKEN = 'user-token-0f1e2d3c'

function makeGateway(overrides: Partial<StandInGateway> = {}): StandInGateway {
  return {
    externalId: 'gw-00:11:22:33:44:55',
    externalKey: 'external-key-9a8b7c',
    thingId: '5a1f8c2e-3b7d-4e90-a6c1-0f2d9b8e7c34',
    thingKey: 'c3f0e1a2-7b6d-4c5e-9f8a-1b2c3d4e5f60',
    // The control channel is not the first one: it is found by its metadata, not its position.
    channels: [
      { id: 'd4a1c5e6-0000-4000-8000-00000000da7a', name: 'data', metadata: { type: 'data' } },
      { id: 'c0417201-0000-4000-8000-0000000c0417', name: 'control', metadata: { type: 'control' } },
    ],
    exportChannelId: 'e1b2c3d4-0000-4000-8000-0000000e4907',
    ...overrides,
  }
}

interface ScriptRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a script with bash, with the test's environment minus every `MF_*` variable, plus `env`. */
function runScript(script: string, args: string[], env: Record<string, string>): Promise<ScriptRun> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MF_')))
  return new Promise((resolveRun) => {
    execFile('bash', [script, ...args], { env: { ...clean, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolveRun({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}

function show(run: ScriptRun): string {
  return `exit ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`
}

/** The environment of configure.sh for a stand-in cloud and a temp dir. */
function scriptEnv(apiUrl: string, gw: StandInGateway, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MAINFLUX_HOST: apiUrl,
    EXTERNAL_ID: gw.externalId,
    EXTERNAL_KEY: gw.externalKey,
    MAINFLUX_USER_EMAIL: USER.email,
    MAINFLUX_USER_PASSWORD: USER.password,
    NATS_URL: 'nats://127.0.0.1:4222',
    EXPORT_CONFIG_FILE: join(dir, 'export-config.toml'),
    ...extra,
  }
}

/** The arguments of a printed command line, as the shell would pass them. */
async function shellWords(line: string): Promise<string[]> {
  const out = await new Promise<string>((resolveOut, reject) => {
    execFile('bash', ['-c', `printf '%s\\0' ${line}`], (err, stdout) => {
      if (err) reject(new Error(`not a valid shell command line: ${line}`, { cause: err }))
      else resolveOut(stdout)
    })
  })
  return out.split('\0').slice(0, -1)
}

/** The value after `flag` in an argument list. */
function option(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag)
  return i >= 0 ? argv[i + 1] : undefined
}

/** The `save` command in a SenML payload, decoded as the Mainflux Agent does (see cli.test.ts). */
function decodeSaveCommand(payload: string): { file: string; text: string; config: Config } {
  const senml = JSON.parse(payload) as Array<{ bn: string; n: string; vs: string }>
  assert.equal(senml.length, 1)
  assert.equal(senml[0]!.bn, '1:')
  assert.equal(senml[0]!.n, 'config')
  const parts = senml[0]!.vs.replaceAll(' ', '').split(',')
  assert.equal(parts.length, 4, senml[0]!.vs)
  assert.deepEqual(parts.slice(0, 2), ['save', 'export'])
  const text = Buffer.from(parts[3]!, 'base64').toString('utf8')
  return { file: parts[2]!, text, config: configFromRaw(parseConfigText(text, 'sent.toml'), { fileName: 'sent.toml', env: {} }).config }
}

describe('scripts/configure.sh against a stand-in of the Mainflux API', () => {
  it('--dry-run makes the three requests and prints them and the mosquitto_pub command, sending nothing', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const gw = makeGateway()
    const api = td.use(await startBootstrapStandIn({ user: USER, token: TOKEN, gateway: gw }), 'stand-in')
    const dir = await makeTempDir('configure')
    td.add(() => removeDir(dir), 'temp dir')
    const env = scriptEnv(api.url, gw, dir)

    const run = await runScript(CONFIGURE, ['--dry-run'], env)
    assert.equal(run.code, 0, show(run))

    // The requests, in order, with the right credentials (the stand-in answers 401 otherwise).
    assert.deepEqual(
      api.requests.map((r) => `${r.method} ${r.url} ${r.status}`),
      ['POST /tokens 201', `GET /things/bootstrap/${gw.externalId} 200`, `GET /things/${gw.thingId} 200`],
    )
    assert.deepEqual(JSON.parse(api.requests[0]!.body), USER)
    assert.equal(api.requests[1]!.headers.authorization, gw.externalKey)
    assert.equal(api.requests[2]!.headers.authorization, TOKEN)
    const lines = run.stdout.split('\n')
    const requestLines = lines.filter((l) => /^(GET|POST) /.test(l))
    assert.deepEqual(requestLines, [
      `POST ${api.url}/tokens  -> 201`,
      `GET ${api.url}/things/bootstrap/${gw.externalId}  -> 200`,
      `GET ${api.url}/things/${gw.thingId}  -> 200`,
    ])

    // The command for the Agent: on the control channel, as the thing, with the filled config.
    const commandLines = lines.filter((l) => l.startsWith('mosquitto_pub '))
    assert.equal(commandLines.length, 1, run.stdout)
    const argv = await shellWords(commandLines[0]!.slice('mosquitto_pub '.length))
    const control = gw.channels[1]!.id
    assert.equal(option(argv, '-t'), `channels/${control}/messages/req`)
    assert.equal(option(argv, '-h'), '127.0.0.1')
    assert.equal(option(argv, '-p'), '1883')
    assert.equal(option(argv, '-u'), gw.thingId)
    assert.equal(option(argv, '-P'), gw.thingKey)
    assert.equal(argv.includes('--cafile'), false)
    const sent = decodeSaveCommand(option(argv, '-m') ?? '')
    assert.equal(sent.file, env.EXPORT_CONFIG_FILE)
    assert.ok(sent.text.includes(`channels/${gw.exportChannelId}/messages`), sent.text)
    assert.equal(sent.config.mqtt.username, gw.thingId)
    assert.equal(sent.config.mqtt.password, gw.thingKey)
    assert.equal(sent.config.mqtt.url, 'tcp://127.0.0.1:1883')
    assert.equal(sent.config.mqtt.mtls, false)
    assert.deepEqual(sent.config.exp.natsUrls, ['nats://127.0.0.1:4222'])
    assert.deepEqual(
      sent.config.routes.map((r) => [r.natsTopic, r.mqttTopic, r.type]),
      [
        ['export', `channels/${gw.exportChannelId}/messages`, 'default'],
        ['channels', `channels/${gw.exportChannelId}/messages`, 'mfx'],
      ],
    )
    // Only keys that survive the Agent's rewrite: no warning about dropped keys.
    assert.doesNotMatch(run.stderr, /dropped/)

    // Nothing written, nothing started; secrets of the user and the bootstrap identity not shown.
    assert.equal(existsSync(env.EXPORT_CONFIG_FILE!), false, 'the dry run wrote the config file')
    assert.match(run.stdout, /# then: EXPORT_CONFIG_FILE=\S+ exec \S+export_start/)
    for (const secret of [USER.password, gw.externalKey, TOKEN]) {
      assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `a secret is printed: ${secret}`)
    }
  })

  it('--dry-run with MTLS=true uses port 8883, TLS in the config and the certificates from bootstrap', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const pem = (what: string): string => `-----BEGIN ${what}-----\nMIIB${what.replaceAll(' ', '')}\n-----END ${what}-----\n`
    const gw = makeGateway({ clientCert: pem('CERTIFICATE'), clientKey: pem('PRIVATE KEY'), caCert: pem('CERTIFICATE') })
    const api = td.use(await startBootstrapStandIn({ user: USER, token: TOKEN, gateway: gw }), 'stand-in')
    const dir = await makeTempDir('configure')
    td.add(() => removeDir(dir), 'temp dir')
    const certsDir = join(dir, 'certs')
    const run = await runScript(CONFIGURE, ['--dry-run'], scriptEnv(api.url, gw, dir, { MTLS: 'true', MQTT_HOST: 'mqtt.example.com', CERTS_DIR: certsDir }))
    assert.equal(run.code, 0, show(run))
    const line = run.stdout.split('\n').find((l) => l.startsWith('mosquitto_pub '))
    assert.ok(line !== undefined, run.stdout)
    const argv = await shellWords(line.slice('mosquitto_pub '.length))
    assert.equal(option(argv, '-h'), 'mqtt.example.com')
    assert.equal(option(argv, '-p'), '8883')
    assert.equal(option(argv, '--cafile'), join(certsDir, 'ca.crt'))
    assert.equal(option(argv, '--cert'), join(certsDir, 'thing.crt'))
    assert.equal(option(argv, '--key'), join(certsDir, 'thing.key'))
    const { config } = decodeSaveCommand(option(argv, '-m') ?? '')
    assert.equal(config.mqtt.mtls, true)
    assert.equal(config.mqtt.url, 'tcps://mqtt.example.com:8883')
    assert.equal(config.mqtt.caPath, join(certsDir, 'ca.crt'))
    assert.equal(config.mqtt.clientCertPath, join(certsDir, 'thing.crt'))
    assert.equal(config.mqtt.clientKeyPath, join(certsDir, 'thing.key'))
    assert.equal(existsSync(certsDir), false, 'the dry run wrote the certificates')
  })

  it('exits non-zero, naming the request and the status, when bootstrap answers 401', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const gw = makeGateway()
    const api = td.use(await startBootstrapStandIn({ user: USER, token: TOKEN, gateway: gw }), 'stand-in')
    const dir = await makeTempDir('configure')
    td.add(() => removeDir(dir), 'temp dir')
    for (const args of [['--dry-run'], []]) {
      const run = await runScript(CONFIGURE, args, scriptEnv(api.url, gw, dir, { EXTERNAL_KEY: 'not-the-key' }))
      assert.equal(run.code, 1, show(run))
      assert.match(run.stderr, new RegExp(`GET ${api.url}/things/bootstrap/${gw.externalId} \\(bootstrap\\) failed: HTTP 401`))
      assert.doesNotMatch(run.stdout, /mosquitto_pub/)
      assert.ok(!run.stderr.includes('not-the-key'), 'the external key is printed')
    }
    assert.equal(api.requests.at(-1)!.status, 401)
    assert.equal(api.requests.some((r) => r.endpoint === 'thing'), false, 'it went on after the failed request')
    assert.equal(existsSync(join(dir, 'export-config.toml')), false)
  })

  it('exits non-zero naming POST /tokens when the user password is wrong', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const gw = makeGateway()
    const api = td.use(await startBootstrapStandIn({ user: USER, token: TOKEN, gateway: gw }), 'stand-in')
    const run = await runScript(CONFIGURE, ['--dry-run'], scriptEnv(api.url, gw, '/nonexistent', { MAINFLUX_USER_PASSWORD: 'wrong' }))
    assert.equal(run.code, 1, show(run))
    assert.match(run.stderr, new RegExp(`POST ${api.url}/tokens \\(tokens\\) failed: HTTP 401`))
    assert.equal(api.requests.length, 1)
  })

  it('exits non-zero with a clear message when the API cannot be reached', async () => {
    const port = await freePort()
    const run = await runScript(CONFIGURE, ['--dry-run'], scriptEnv(`http://127.0.0.1:${port}`, makeGateway(), '/nonexistent'))
    assert.equal(run.code, 1, show(run))
    assert.match(run.stderr, new RegExp(`POST http://127.0.0.1:${port}/tokens \\(tokens\\) failed: .*(refused|connect)`, 'i'))
  })

  const badData: Array<{ what: string; gateway: Partial<StandInGateway>; options?: Partial<StandInOptions>; message: RegExp }> = [
    { what: 'the thing has no export_channel_id', gateway: { exportChannelId: undefined }, message: /has no metadata export_channel_id/ },
    {
      what: 'no channel is the control channel',
      gateway: { channels: [{ id: 'd4a1c5e6', metadata: { type: 'data' } }] },
      message: /no channel whose metadata type is "control" \(mainflux_channels: d4a1c5e6 \(type data\)\)/,
    },
    { what: 'MTLS=true but bootstrap has no certificate', gateway: {}, message: /has no client_cert, which MTLS=true needs/ },
  ]
  for (const c of badData) {
    it(`exits non-zero with a clear message when ${c.what}`, async (t) => {
      const td = new Teardown()
      t.after(() => td.run())
      const gw = makeGateway(c.gateway)
      const api = td.use(await startBootstrapStandIn({ user: USER, token: TOKEN, gateway: gw, ...c.options }), 'stand-in')
      const extra: Record<string, string> = c.what.startsWith('MTLS') ? { MTLS: 'true' } : {}
      const run = await runScript(CONFIGURE, ['--dry-run'], scriptEnv(api.url, gw, '/nonexistent', extra))
      assert.equal(run.code, 1, show(run))
      assert.match(run.stderr, c.message)
      assert.doesNotMatch(run.stdout, /mosquitto_pub/)
    })
  }

  it('accepts channel metadata sent as JSON text', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const gw = makeGateway({ channels: [{ id: 'c0417201', metadata: '{"type":"control"}' }] })
    const api = td.use(await startBootstrapStandIn({ user: USER, token: TOKEN, gateway: gw }), 'stand-in')
    const run = await runScript(CONFIGURE, ['--dry-run'], scriptEnv(api.url, gw, '/nonexistent'))
    assert.equal(run.code, 0, show(run))
    assert.match(run.stdout, /-t channels\/c0417201\/messages\/req /)
  })

  it('provisions for real: the Agent gets the command on its control channel and the service starts and exports', async (t) => {
    requireBinary('mosquitto_pub')
    const td = new Teardown()
    t.after(() => td.run())
    const gw = makeGateway()
    const api = td.use(await startBootstrapStandIn({ user: USER, token: TOKEN, gateway: gw }), 'stand-in')
    const nats = td.use(await startNats(), 'nats')
    // The cloud broker takes only the thing's credentials, as Mainflux does.
    const mosquitto = td.use(await startMosquitto({ users: [{ username: gw.thingId, password: gw.thingKey }] }), 'mosquitto')
    const control = gw.channels[1]!.id
    const creds = { username: gw.thingId, password: gw.thingKey }
    const agent = td.use(await startCollector({ url: mosquitto.url, topic: `channels/${control}/messages/req`, qos: 1, ...creds }), 'agent')
    const cloud = td.use(await startCollector({ url: mosquitto.url, topic: `channels/${gw.exportChannelId}/messages/#`, qos: 1, ...creds }), 'cloud')
    const dir = await makeTempDir('configure')
    td.add(() => removeDir(dir), 'temp dir')
    const httpPort = await freePort()
    const env = scriptEnv(api.url, gw, dir, { MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mosquitto.port), NATS_URL: nats.url, EXPORT_HTTP_PORT: String(httpPort) })
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MF_')))

    // configure.sh ends by exec'ing export_start, which execs the service: one process throughout.
    const service = td.use(
      await startDaemon({ name: 'configure.sh', command: 'bash', args: [CONFIGURE], env: { ...clean, ...env }, readyPorts: [httpPort], startTimeoutMs: 20_000 }).then((d) => ({
        ...d,
        [Symbol.asyncDispose]: async () => {
          await d.stop()
        },
      })),
      'configure.sh and the service',
    )

    const [command] = await agent.waitForCount(1, 10_000)
    const sent = decodeSaveCommand(command!.payload.toString('utf8'))
    assert.equal(sent.file, env.EXPORT_CONFIG_FILE)
    assert.equal(sent.config.mqtt.url, `tcp://127.0.0.1:${mosquitto.port}`)
    // The Agent is sent the same configuration in the key names and types it takes (agent-command).
    const written = await readFile(env.EXPORT_CONFIG_FILE!, 'utf8')
    assert.deepEqual(configFromRaw(parseConfigText(written, 'written.toml'), { fileName: 'written.toml', env: {} }).config, sent.config)
    assert.equal((await stat(env.EXPORT_CONFIG_FILE!)).mode & 0o077, 0, 'the config file (with the thing key) is readable by others')

    // The service answers HTTP once started, before its first MQTT connect may have completed
    // (it starts while the cloud is unreachable): healthy within a deadline, not at once.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/health`)).status === 200, { timeoutMs: 10_000, what: "the service's /health to answer 200" })
    const nc = await connect({ servers: nats.url })
    try {
      // The service subscribes once NATS is connected; retry until the first message gets through.
      for (let i = 0; cloud.count === 0 && i < 100; i++) {
        nc.publish('export.gw.temp', `21.${i}`)
        await nc.flush()
        await cloud.waitForCount(1, 100).catch(() => undefined)
      }
    } finally {
      await nc.close()
    }
    assert.ok(cloud.count > 0, `nothing exported; output:\n${service.output()}`)
    assert.equal(cloud.messages[0]!.topic, `channels/${gw.exportChannelId}/messages/export/gw/temp`)
    // export_start keeps the store beside the config, where a reload after an Agent rewrite finds it.
    assert.ok(existsSync(join(dir, 'export-store')), `no store at ${join(dir, 'export-store')}`)
    const exit = await service.stop()
    assert.deepEqual(exit, { code: 0, signal: null }, service.output())
  })
})

describe('scripts/export_start', () => {
  it('refuses to start without a config file, naming it', async () => {
    const run = await runScript(EXPORT_START, [], { EXPORT_CONFIG_FILE: '/nonexistent/export-config.toml' })
    assert.equal(run.code, 1, show(run))
    assert.match(run.stderr, /no config file at \/nonexistent\/export-config\.toml: run configure\.sh first/)
  })

  it('runs the service with the config file, passing its arguments on', async (t) => {
    const dir = await makeTempDir('export-start')
    t.after(() => removeDir(dir))
    const file = join(dir, 'export-config.toml')
    await writeFile(file, '[[routes]]\nnats_topic = "export"\nmqtt_topic = "channels/c1/messages"\n')
    // `--config FILE config check` checks FILE: proof that the file reached the service's CLI.
    const run = await runScript(EXPORT_START, ['config', 'check'], { EXPORT_CONFIG_FILE: file })
    assert.equal(run.code, 0, show(run))
    assert.ok(run.stdout.startsWith(`# ${file}: valid.`), run.stdout)
    assert.match(run.stdout, new RegExp(`path = "${dir.replaceAll('/', '\\/')}/export-store"`))
  })
})
