import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import type { BridgeConfigOptions } from '../helpers/bridge-config.js'
import { freePort } from '../helpers/free-port.js'
import { httpRequest } from '../helpers/http-request.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import type { Mosquitto } from '../helpers/mosquitto.js'
import { startNats } from '../helpers/nats-server.js'
import type { NatsServer } from '../helpers/nats-server.js'
import { startService } from '../helpers/service-process.js'
import type { ServiceOptions, ServiceProcess } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'

const TOKEN = `tok-${randomBytes(12).toString('hex')}`
const NEXT_TOKEN = `next-${randomBytes(12).toString('hex')}`
const GET_PATHS = ['/health', '/livez', '/readyz', '/version', '/metrics', '/status', '/']

/** Issue 10, item 4: the HTTP side is the operator's alone. */
describe('the HTTP side', () => {
  const td = new Teardown()
  let nats: NatsServer
  let mosquitto: Mosquitto

  before(async () => {
    nats = td.use(await startNats(), 'nats')
    mosquitto = td.use(await startMosquitto(), 'mosquitto')
  })
  after(() => td.run())

  function config(httpPort: number, o: Partial<BridgeConfigOptions> = {}): string {
    return bridgeConfigToml({ natsUrl: nats.url, mqttUrl: `tcp://127.0.0.1:${mosquitto.port}`, httpPort, ...o })
  }

  async function start(o: Partial<BridgeConfigOptions> = {}, extra: Partial<ServiceOptions> = {}): Promise<{ service: ServiceProcess; httpPort: number }> {
    const httpPort = await freePort()
    const service = td.use(await startService({ httpPort, configText: config(httpPort, o), ...extra }), 'service')
    return { service, httpPort }
  }

  /**
   * Runs `refused` with an invalid config file in place: a request that got through would reload
   * it (and answer 422, and leave last_error set); one refused never reaches the reload.
   */
  async function withInvalidFile(service: ServiceProcess, refused: () => Promise<void>): Promise<void> {
    const good = await readFile(service.configPath!, 'utf8')
    await writeFile(service.configPath!, '[mqtt]\nqos = "high"\n')
    try {
      await refused()
      const health = (await service.health()).body as { last_error: string }
      assert.equal(health.last_error, '', 'a refused request reloaded the configuration')
    } finally {
      await writeFile(service.configPath!, good)
    }
  }

  describe('without a token (the default)', () => {
    let service: ServiceProcess
    let httpPort: number
    before(async () => {
      ;({ service, httpPort } = await start())
    })

    // Issue 10: HEAD /health answered 405.
    it('answers HEAD like GET on every GET endpoint, without a body', async () => {
      for (const path of GET_PATHS) {
        const get = await httpRequest(httpPort, path)
        const head = await httpRequest(httpPort, path, { method: 'HEAD' })
        assert.equal(head.status, get.status, `HEAD ${path}`)
        assert.equal(head.headers['content-type'], get.headers['content-type'], `HEAD ${path}`)
        assert.equal(head.body, '', `HEAD ${path} has a body`)
        assert.ok(get.body.length > 0, `GET ${path} has no body`)
      }
      const head = await httpRequest(httpPort, '/health', { method: 'HEAD' })
      assert.equal(head.headers['content-length'], String(Buffer.byteLength((await httpRequest(httpPort, '/health')).body)))
    })

    it('lets a program (no Origin, no Sec-Fetch-Site) reload', async () => {
      const res = await httpRequest(httpPort, '/reload', { method: 'POST' })
      assert.equal(res.status, 200, res.body)
    })

    // Issue 10: POST /reload answered 200 to a page of another origin.
    it('refuses a browser page of another origin with 403, and reloads nothing', async () => {
      const crossSite = [
        { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
        { origin: 'http://evil.example' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site', origin: 'http://other.127.0.0.1.nip.io' },
        { origin: 'null' },
        { origin: `http://localhost:${httpPort}` }, // another name for the host is another origin
      ]
      await withInvalidFile(service, async () => {
        for (const headers of crossSite) {
          const res = await httpRequest(httpPort, '/reload', { method: 'POST', headers })
          assert.equal(res.status, 403, `${JSON.stringify(headers)}: ${res.status} ${res.body}`)
          assert.match(res.body, /refused/)
        }
      })
      await service.waitForLog((e) => e.message === 'HTTP request refused' && e.status === 403, 5000)
    })

    it('lets the page of its own origin reload (the status page, a same-origin form)', async () => {
      const res = await httpRequest(httpPort, '/reload', {
        method: 'POST',
        headers: { origin: `http://127.0.0.1:${httpPort}`, 'sec-fetch-site': 'same-origin' },
      })
      assert.equal(res.status, 200, res.body)
      const typed = await httpRequest(httpPort, '/reload', { method: 'POST', headers: { 'sec-fetch-site': 'none' } })
      assert.equal(typed.status, 200, typed.body)
    })
  })

  describe('with [exp] http_token', () => {
    let service: ServiceProcess
    let httpPort: number
    before(async () => {
      ;({ service, httpPort } = await start({ exp: { http_token: TOKEN } }))
    })

    it('needs Authorization: Bearer <token> to reload (401 otherwise), and nothing to read', async () => {
      await withInvalidFile(service, async () => {
        for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN}x`, 'Bearer ']) {
          const res = await httpRequest(httpPort, '/reload', { method: 'POST', headers: authorization === undefined ? {} : { authorization } })
          assert.equal(res.status, 401, `${authorization}: ${res.status} ${res.body}`)
          assert.match(String(res.headers['www-authenticate']), /^Bearer/)
        }
      })
      // The scheme is case-insensitive.
      const ok = await httpRequest(httpPort, '/reload', { method: 'POST', headers: { authorization: `bearer ${TOKEN}` } })
      assert.equal(ok.status, 200, ok.body)
      for (const path of GET_PATHS) assert.equal((await httpRequest(httpPort, path)).status, 200, path)
    })

    it('refuses another origin even with the right token', async () => {
      const res = await httpRequest(httpPort, '/reload', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' } })
      assert.equal(res.status, 403)
    })

    it('takes a new token at reload, at once', async () => {
      await writeFile(service.configPath!, config(httpPort, { exp: { http_token: NEXT_TOKEN } }))
      const res = await httpRequest(httpPort, '/reload', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
      assert.equal(res.status, 200, res.body)
      assert.deepEqual((JSON.parse(res.body) as { changes: string[] }).changes, ['http_token'])
      assert.ok(!res.body.includes(NEXT_TOKEN))
      assert.equal((await httpRequest(httpPort, '/reload', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status, 401)
      assert.equal((await httpRequest(httpPort, '/reload', { method: 'POST', headers: { authorization: `Bearer ${NEXT_TOKEN}` } })).status, 200)
    })
  })

  it('takes the token from MF_EXPORT_HTTP_TOKEN when the file leaves it out', async () => {
    const { httpPort } = await start({}, { env: { MF_EXPORT_HTTP_TOKEN: TOKEN } })
    assert.equal((await httpRequest(httpPort, '/reload', { method: 'POST' })).status, 401)
    assert.equal((await httpRequest(httpPort, '/reload', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status, 200)
  })

  // Issue 10: the server listened on every interface with no key to change it.
  it('listens only on [exp] http_host when it is set', async () => {
    // 127.0.0.2 is loopback too (127/8), yet another address than 127.0.0.1.
    const { service, httpPort } = await start({ exp: { http_host: '127.0.0.2' } }, { waitForHttp: false })
    await service.waitForLog((e) => e.message === 'HTTP listening', 10_000)
    assert.equal((await httpRequest(httpPort, '/version', { host: '127.0.0.2' })).status, 200)
    await assert.rejects(httpRequest(httpPort, '/version', { host: '127.0.0.1' }), /ECONNREFUSED/)
  })
})
