import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { runCli } from '../helpers/cli-run.js'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { freePort } from '../helpers/free-port.js'
import { httpRequest } from '../helpers/http-request.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import type { Mosquitto } from '../helpers/mosquitto.js'
import { startCollector } from '../helpers/mqtt-collector.js'
import type { Collector } from '../helpers/mqtt-collector.js'
import { startNats } from '../helpers/nats-server.js'
import type { NatsServer } from '../helpers/nats-server.js'
import { assertNoSecrets, serviceOutput } from '../helpers/service-output.js'
import { startService } from '../helpers/service-process.js'
import type { ServiceProcess } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'

const hex = (n: number): string => randomBytes(n).toString('hex')

// Distinctive secrets in every place a config holds one (issue 10, item 3).
const NATS_USER = 'bridge'
const NATS_PASSWORD = `natspw${hex(10)}`
const MQTT_USER = 'thing-secrets'
const MQTT_PASSWORD = `mqttpw${hex(10)}`
const MQTT_URL_PASSWORD = `urlpw${hex(10)}`
const BAD_URL_PASSWORD = `badurlpw${hex(10)}`
const HTTP_TOKEN = `httptoken${hex(10)}`
// A PEM block with a random body: mtls is off, so only its text matters, never its maths.
const KEY_PEM = `-----BEGIN PRIVATE KEY-----\n${Array.from({ length: 4 }, () => randomBytes(48).toString('base64')).join('\n')}\n-----END PRIVATE KEY-----\n`
const SECRETS = {
  'NATS URL password': NATS_PASSWORD,
  'MQTT password': MQTT_PASSWORD,
  'MQTT URL password': MQTT_URL_PASSWORD,
  'password of the invalid MQTT URL': BAD_URL_PASSWORD,
  'HTTP token': HTTP_TOKEN,
  'client key': KEY_PEM,
}

/**
 * Runs the service and the CLI with a secret in every place, through the faults that used to leak
 * them (an invalid MQTT URL with a password, a failing reload, NATS going away), and looks for each
 * secret in everything that came out: log lines at debug level, stderr, every HTTP answer and the
 * CLI's output.
 */
describe('no secret leaves the process', () => {
  const td = new Teardown()
  let nats: NatsServer
  let mosquitto: Mosquitto
  let collector: Collector
  let dir: string
  /** Everything that came out, by where it came from. */
  const outputs: Array<{ where: string; text: string }> = []
  const seen = (where: string, text: string): void => void outputs.push({ where, text })

  before(async () => {
    nats = td.use(await startNats({ args: ['--user', NATS_USER, '--pass', NATS_PASSWORD] }), 'nats')
    mosquitto = td.use(await startMosquitto({ users: [{ username: MQTT_USER, password: MQTT_PASSWORD }, { username: 'reader', password: 'reader-pw' }] }), 'mosquitto')
    collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/#', qos: 1, username: 'reader', password: 'reader-pw' }), 'collector')
    dir = await makeTempDir('secrets')
    td.add(() => removeDir(dir), 'temp dir')
  })
  after(() => td.run())

  function config(httpPort: number, mqttUrl: string): string {
    return bridgeConfigToml({
      natsUrl: `nats://${NATS_USER}:${NATS_PASSWORD}@127.0.0.1:${nats.port}`,
      mqttUrl,
      httpPort,
      username: MQTT_USER,
      password: MQTT_PASSWORD,
      logLevel: 'debug',
      exp: { http_token: HTTP_TOKEN },
      mqtt: { client_cert_key: KEY_PEM },
    })
  }
  const goodUrl = (): string => `tcp://${MQTT_USER}:${MQTT_URL_PASSWORD}@127.0.0.1:${mosquitto.port}`
  // Port out of range: the URL does not parse, and the error quotes it.
  const badUrl = `tcp://${MQTT_USER}:${BAD_URL_PASSWORD}@127.0.0.1:99999`

  async function http(service: ServiceProcess, port: number, path: string, opts: Parameters<typeof httpRequest>[2] = {}): Promise<number> {
    const res = await httpRequest(port, path, opts)
    seen(`${opts.method ?? 'GET'} ${path} (${service.pid})`, `${JSON.stringify(res.headers)}\n${res.body}`)
    return res.status
  }

  it('the running service: logs at every level, every HTTP answer, a failing reload, NATS going away', async () => {
    const httpPort = await freePort()
    const service = td.use(await startService({ httpPort, configText: config(httpPort, goodUrl()) }), 'service')
    await service.waitForLog((e) => e.message === 'route subscribed', 15_000, 'the route subscribed (NATS credentials from the URL)')
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)
    // The credentials of the URL are used, not only hidden: a message goes through.
    const nc = await connect({ servers: nats.url, user: NATS_USER, pass: NATS_PASSWORD })
    nc.publish('export.secret', 'through')
    await nc.flush()
    await nc.close()
    await collector.waitForCount(1, 10_000)

    for (const path of ['/health', '/livez', '/readyz', '/status', '/metrics', '/version', '/']) {
      await http(service, httpPort, path)
      await http(service, httpPort, path, { method: 'HEAD' })
    }
    assert.equal(await http(service, httpPort, '/reload', { method: 'POST' }), 401)
    const auth = { authorization: `Bearer ${HTTP_TOKEN}` }
    assert.equal(await http(service, httpPort, '/reload', { method: 'POST', headers: auth }), 200)

    // Issue 10: the invalid URL, password included, was in the reload's answer, the log and last_error.
    await writeFile(service.configPath!, config(httpPort, badUrl))
    assert.equal(await http(service, httpPort, '/reload', { method: 'POST', headers: auth }), 422)
    service.kill('SIGHUP').catch(() => undefined) // the same through the signal; the process keeps running
    await service.waitForLog((e) => e.message === 'reload failed; previous configuration kept' && e.trigger === 'SIGHUP', 10_000)
    assert.equal(await http(service, httpPort, '/health'), 200)
    await http(service, httpPort, '/status')
    const cliBad = await runCli(['config', 'check', service.configPath!])
    assert.equal(cliBad.code, 1, cliBad.stderr)
    assert.match(cliBad.stderr, /\[mqtt\] url/)
    seen('config check of the invalid file', cliBad.stdout + cliBad.stderr)

    // Issue 10: the NATS URL with its password was logged at info on every connect.
    await nats.kill()
    await service.waitForLog((e) => e.message === 'NATS disconnected', 15_000)
    assert.equal(await http(service, httpPort, '/health'), 503)
    await nats.restart()
    await service.waitForLog((e) => e.message === 'NATS reconnected', 20_000)

    await writeFile(service.configPath!, config(httpPort, goodUrl()))
    assert.equal(await http(service, httpPort, '/reload', { method: 'POST', headers: auth }), 200)
    await http(service, httpPort, '/health')
    await service.stop()
    seen('the service', serviceOutput(service))
    // The service logs little at debug; the unit test of the logger covers that level.
    for (const level of ['info', 'warn', 'error']) assert.ok(service.logs.some((e) => e.level === level), `no ${level} line: the test does not cover that level`)
    const connecting = service.logs.find((e) => e.message === 'connecting to NATS')
    assert.deepEqual(connecting?.servers, [`nats://${NATS_USER}:***@127.0.0.1:${nats.port}`])
  })

  it('a service that cannot start: the invalid URL from the file, and from the environment', async () => {
    const httpPort = await freePort()
    const file = join(dir, 'invalid.toml')
    await writeFile(file, config(httpPort, badUrl))
    const fromFile = await startService({ configPath: file, waitForHttp: false })
    td.use(fromFile, 'service with the invalid file')
    assert.equal((await fromFile.exited).code, 1)
    seen('the service started with the invalid file', serviceOutput(fromFile))
    assert.match(serviceOutput(fromFile), /\[mqtt\] url/)

    const fromEnv = await startService({
      configPath: join(dir, 'absent', 'config.toml'),
      env: {
        MF_NATS_URL: `nats://${NATS_USER}:${NATS_PASSWORD}@127.0.0.1:${nats.port}`,
        MF_EXPORT_MQTT_HOST: badUrl,
        MF_EXPORT_MQTT_PASSWORD: MQTT_PASSWORD,
        MF_EXPORT_HTTP_TOKEN: HTTP_TOKEN,
      },
      waitForHttp: false,
    })
    td.use(fromEnv, 'service from the environment')
    assert.equal((await fromEnv.exited).code, 1)
    seen('the service started from the environment', serviceOutput(fromEnv))
    assert.match(serviceOutput(fromEnv), /MF_EXPORT_MQTT_HOST/)
  })

  it('the command line: config check, agent-command, a bad command', async () => {
    const file = join(dir, 'good.toml')
    await writeFile(file, config(8170, goodUrl()))
    const check = await runCli(['config', 'check', file])
    assert.equal(check.code, 0, check.stderr)
    assert.match(check.stdout, /password = "\*\*\*"/)
    assert.match(check.stdout, /http_token = "\*\*\*"/)
    seen('config check', check.stdout + check.stderr)
    // Its stdout is the file in base64, as the Agent needs it: only the warnings are text.
    const agent = await runCli(['config', 'agent-command', '--file', file, '--path', '/etc/export.toml'])
    assert.equal(agent.code, 0, agent.stderr)
    seen('agent-command (stderr)', agent.stderr)
    const usage = await runCli(['--config', file, `nats://u:${NATS_PASSWORD}@h`])
    seen('a bad command line', usage.stdout + usage.stderr)
  })

  it('leaves no secret in anything that came out', () => {
    assert.ok(outputs.length > 20, `only ${outputs.length} outputs were collected`)
    for (const { where, text } of outputs) assertNoSecrets(text, SECRETS, where)
  })
})
