import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import { promisify } from 'node:util'
import { connect } from '@nats-io/transport-node'
import { parse as parseToml } from 'smol-toml'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import type { TestRoute } from '../helpers/bridge-config.js'
import { freePort } from '../helpers/free-port.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { startCollector } from '../helpers/mqtt-collector.js'
import { startNats } from '../helpers/nats-server.js'
import { assertNoSecrets, serviceOutput } from '../helpers/service-output.js'
import { startService } from '../helpers/service-process.js'
import type { ServiceProcess } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { withDeadline } from '../helpers/wait.js'
import { FIXTURES_DIR } from '../helpers/fixtures.js'

const run = promisify(execFile)
const MAIN = resolve(process.cwd(), 'dist/src/main.js')

/** A fresh temp dir, removed after the test. */
async function tempDir(t: TestContext, purpose: string): Promise<string> {
  const dir = await makeTempDir(purpose)
  t.after(() => removeDir(dir))
  return dir
}

/** Runs the service until it exits by itself (a start that must fail), and returns the run. */
async function runUntilExit(t: TestContext, opts: Parameters<typeof startService>[0]): Promise<ServiceProcess> {
  const service = await startService({ ...opts, waitForHttp: false })
  t.after(() => service.close())
  await withDeadline(service.exited, 10_000, 'the service to exit at start')
  return service
}

/** The one error line of a failed start; fails if there is none or more than one. */
function theErrorLine(service: ServiceProcess): string {
  const errors = service.logs.filter((e) => e.level === 'error')
  assert.equal(errors.length, 1, `expected one error line, got:\n${serviceOutput(service)}`)
  return String(errors[0]!.message)
}

/** `mainflux-export <args>` with no MF_* variables from the machine; never rejects. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MF_')))
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { env, timeout: 10_000 })
    return { code: 0, stdout, stderr }
  } catch (err: unknown) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** docs/configuration.md, "Where the configuration comes from": where the configuration comes from at start, and what a bad one does. */
describe('configuration at start', () => {
  it('starts from the environment when the config file does not exist, saves that file, and delivers', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const nats = td.use(await startNats(), 'nats')
    const mosquitto = td.use(await startMosquitto(), 'mosquitto')
    const collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/ch1/messages/#', qos: 1 }), 'collector')
    // Neither the file nor its directory exists, as on a freshly flashed gateway.
    const configFile = join(await tempDir(t, 'env-config'), 'configs', 'export', 'config.toml')
    const httpPort = await freePort()
    const service = td.use(
      await startService({
        httpPort,
        env: {
          MF_EXPORT_CONFIG_FILE: configFile,
          MF_NATS_URL: nats.url,
          MF_EXPORT_MQTT_HOST: `tcp://127.0.0.1:${mosquitto.port}`,
          MF_EXPORT_MQTT_CHANNEL: 'ch1',
          MF_EXPORT_PORT: String(httpPort),
          MF_EXPORT_MQTT_QOS: '1',
        },
      }),
      'service',
    )
    const saved = await service.waitForLog((e) => e.message === 'config built from the environment and saved', 5000)
    assert.equal(saved.path, configFile)
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)

    const file = parseToml(await readFile(configFile, 'utf8')) as {
      exp: Record<string, unknown>
      mqtt: Record<string, unknown>
      routes: Array<Record<string, unknown>>
    }
    // The file may be in the Go service's shape (port as a string, the broker under `host`), which
    // the Agent reads back unchanged; both spellings are valid config.
    assert.equal(file.exp.nats, nats.url)
    assert.equal(String(file.exp.port), String(httpPort))
    assert.equal(file.mqtt.url ?? file.mqtt.host, `tcp://127.0.0.1:${mosquitto.port}`)
    assert.equal(Number(file.mqtt.qos), 1)
    assert.equal(file.routes.length, 1)
    assert.equal(file.routes[0]!.nats_topic, 'export')
    assert.equal(file.routes[0]!.mqtt_topic, 'channels/ch1/messages')
    // The file can hold the MQTT password and the client key.
    assert.equal((await stat(configFile)).mode & 0o777, 0o600)
    const check = await cli(['config', 'check', configFile])
    assert.equal(check.code, 0, check.stderr)

    const nc = await connect({ servers: nats.url })
    nc.publish('export.x.y', 'from the environment')
    await nc.flush()
    await nc.close()
    const [m] = await collector.waitForCount(1, 10_000)
    assert.equal(m!.topic, 'channels/ch1/messages/export/x/y')
    assert.equal(m!.payload.toString(), 'from the environment')
  })

  it('exits non-zero naming MF_EXPORT_MQTT_QOS when it is "high" and there is no config file, and writes no file', async (t) => {
    const configFile = join(await tempDir(t, 'env-config'), 'configs', 'config.toml')
    const service = await runUntilExit(t, {
      env: {
        MF_EXPORT_CONFIG_FILE: configFile,
        MF_NATS_URL: `nats://127.0.0.1:${await freePort()}`,
        MF_EXPORT_MQTT_HOST: `tcp://127.0.0.1:${await freePort()}`,
        MF_EXPORT_MQTT_CHANNEL: 'ch1',
        MF_EXPORT_PORT: String(await freePort()),
        MF_EXPORT_MQTT_QOS: 'high',
      },
    })
    assert.notEqual((await service.exited).code, 0)
    const message = theErrorLine(service)
    assert.match(message, /MF_EXPORT_MQTT_QOS/)
    assert.match(message, /high/)
    assert.equal(existsSync(configFile), false, 'a config file was written from a bad environment')
    assert.equal(service.logs.some((e) => e.message === 'HTTP listening'), false)
  })

  const BAD_FILES: Array<{ what: string; expect: RegExp[]; text: (httpPort: number) => string }> = [
    {
      what: 'a TOML syntax error on line 9',
      expect: [/line 9\b/],
      text: (httpPort) => withLine(validToml(httpPort), 9, 'qos = = 1'),
    },
    {
      what: 'qos = 7',
      expect: [/\[mqtt\] qos/, /\b7\b/],
      text: (httpPort) => validToml(httpPort).replace(/^qos = 1$/m, 'qos = 7'),
    },
    {
      what: "a route whose mqtt_topic contains '#'",
      expect: [/routes\[1\] \(nats_topic "b"\)/, /mqtt_topic/, /#/],
      text: (httpPort) =>
        validToml(httpPort, [
          { nats_topic: 'a', mqtt_topic: 'channels/c1/messages' },
          { nats_topic: 'b', mqtt_topic: 'channels/#/messages' },
        ]),
    },
  ]

  for (const bad of BAD_FILES) {
    it(`exits non-zero with one error line naming the file and the fault, and leaves the file untouched, on ${bad.what}`, async (t) => {
      const dir = await tempDir(t, 'bad-config')
      const configPath = join(dir, 'config.toml')
      const text = bad.text(await freePort())
      await writeFile(configPath, text)
      // An old mtime: a rewrite now, even with the same bytes, would show.
      const old = new Date('2020-01-02T03:04:05Z')
      await utimes(configPath, old, old)
      const before = await stat(configPath)

      const service = await runUntilExit(t, { configPath })
      assert.notEqual((await service.exited).code, 0)
      const message = theErrorLine(service)
      assert.ok(message.includes(configPath), `the message does not name the file: ${message}`)
      for (const re of bad.expect) assert.match(message, re)
      assert.equal(service.logs.some((e) => e.message === 'HTTP listening'), false)

      assert.equal(await readFile(configPath, 'utf8'), text)
      const after = await stat(configPath)
      assert.equal(after.mtimeMs, before.mtimeMs)
      assert.equal(after.size, before.size)
      assert.deepEqual(readdirSync(dir), ['config.toml'], 'the service left files next to the config')
    })
  }

  it('does not echo the lines around a TOML syntax error in its log (they may hold the password)', async (t) => {
    const password = `pw-${randomBytes(12).toString('hex')}`
    const configPath = join(await tempDir(t, 'bad-config'), 'config.toml')
    const lines = validToml(await freePort()).split('\n')
    // The syntax error sits on the line right after the password.
    const at = lines.findIndex((l) => l.startsWith('qos = ')) + 1
    lines.splice(at - 1, 1, `password = "${password}"`, 'retain = = false')
    await writeFile(configPath, lines.join('\n'))

    const service = await runUntilExit(t, { configPath })
    assert.match(theErrorLine(service), new RegExp(`line ${at + 1}\\b`))
    assertNoSecrets(serviceOutput(service), { 'MQTT password': password }, 'the log')
  })

  const fixtures = readdirSync(FIXTURES_DIR).filter((f) => /\.(toml|json)$/.test(f))
  it('finds the three config fixtures', () => {
    assert.deepEqual(fixtures.sort(), ['agent-saved-config.json', 'agent-saved-config.toml', 'seed-doc-config.toml'])
  })
  for (const name of fixtures) {
    it(`passes "config check" on the fixture ${name}, with its password masked`, async () => {
      const path = join(FIXTURES_DIR, name)
      const text = await readFile(path, 'utf8')
      const fixture = (name.endsWith('.json') ? JSON.parse(text) : parseToml(text)) as {
        mqtt: { password: string; url?: string; host?: string }
        routes: unknown[]
      }
      const { code, stdout, stderr } = await cli(['config', 'check', path])
      assert.equal(code, 0, stderr)
      assert.match(stdout, /valid/)
      assert.ok(fixture.mqtt.password.length > 0)
      assert.ok(!stdout.includes(fixture.mqtt.password), 'config check printed the password')
      assert.ok(!stderr.includes(fixture.mqtt.password), 'config check printed the password on stderr')
      const effective = parseToml(stdout) as { mqtt: { password: string; url: string }; routes: unknown[] }
      assert.equal(effective.mqtt.password, '***')
      assert.equal(effective.mqtt.url, fixture.mqtt.url ?? fixture.mqtt.host)
      assert.equal(effective.routes.length, fixture.routes.length)
    })
  }
})

/** A valid config file whose `[mqtt]` has `qos = 1` on a line of its own. */
function validToml(httpPort: number, routes?: TestRoute[]): string {
  return bridgeConfigToml({
    natsUrl: 'nats://127.0.0.1:4222',
    mqttUrl: 'tcp://127.0.0.1:1883',
    httpPort,
    qos: 1,
    ...(routes !== undefined ? { routes } : {}),
  })
}

/** `text` with line `n` (1-based) replaced. */
function withLine(text: string, n: number, line: string): string {
  const lines = text.split('\n')
  assert.ok(lines.length >= n, `the config has fewer than ${n} lines`)
  lines[n - 1] = line
  return lines.join('\n')
}
