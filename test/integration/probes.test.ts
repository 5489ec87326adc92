import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { httpRequest } from '../helpers/http-request.js'
import { publishSequence } from '../helpers/nats-publisher.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

interface Probe {
  status: number
  body: { status: string; reasons?: string[] }
}

async function probe(httpPort: number, path: '/livez' | '/readyz' | '/health'): Promise<Probe> {
  const res = await httpRequest(httpPort, path)
  return { status: res.status, body: JSON.parse(res.body) as Probe['body'] }
}

async function waitForProbe(httpPort: number, path: '/readyz' | '/health', status: number, what: string): Promise<Probe> {
  let last: Probe | undefined
  return waitFor(
    async () => {
      last = await probe(httpPort, path)
      return last.status === status && last
    },
    { timeoutMs: 20_000, what },
  ).catch((err: unknown) => {
    throw new Error(`${what}; last ${path}: ${JSON.stringify(last)}`, { cause: err })
  })
}

/** `/metrics` sample value by its exact line prefix (`name` or `name{labels}`). */
async function metric(httpPort: number, series: string): Promise<number | undefined> {
  const text = (await httpRequest(httpPort, '/metrics')).body
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

// Issue 11, item 5: a liveness probe on /health would restart the bridge whenever NATS is down.
describe('/livez and /readyz', () => {
  it('livez stays 200 through NATS and cloud outages; readyz is 503 only while NATS is down, and reconnects are counted', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, proxy, httpPort } = await startBridgeWorld(td, { proxy: 'forward', collector: false })
    assert.equal((await probe(httpPort, '/livez')).status, 200)
    assert.deepEqual((await probe(httpPort, '/readyz')).body, { status: 'ready', reasons: [], nats: 'connected', mqtt: 'connected', store: 'ok' })
    for (const path of ['/livez', '/readyz']) {
      const head = await httpRequest(httpPort, path, { method: 'HEAD' })
      assert.equal(head.status, 200, `HEAD ${path}`)
      assert.equal(head.body, '')
    }

    // The cloud is away: the store is for that; still ready, still alive.
    proxy.cut()
    await waitFor(async () => (await probe(httpPort, '/health')).body.status === 'warn', { timeoutMs: 15_000, what: 'health warn' })
    assert.equal((await probe(httpPort, '/readyz')).status, 200)
    assert.equal((await probe(httpPort, '/livez')).status, 200)
    proxy.restore()
    await waitFor(async () => (await metric(httpPort, 'export_mqtt_reconnects_total')) === 1, { timeoutMs: 20_000, what: 'one MQTT reconnect counted' })

    // NATS is away: nothing can come in. Not ready, /health fails (as the Go service), yet alive.
    await nats.kill()
    const down = await waitForProbe(httpPort, '/readyz', 503, 'readyz 503 while NATS is down')
    assert.equal(down.body.status, 'not ready')
    assert.match(down.body.reasons?.join('\n') ?? '', /NATS disconnected/)
    assert.equal((await probe(httpPort, '/health')).status, 503)
    const live = await probe(httpPort, '/livez')
    assert.equal(live.status, 200)
    assert.equal(live.body.status, 'ok')

    await nats.restart()
    await waitForProbe(httpPort, '/readyz', 200, 'readyz 200 once NATS is back')
    assert.equal((await probe(httpPort, '/health')).status, 200)
    assert.equal(await metric(httpPort, 'export_nats_reconnects_total'), 1)
    assert.equal(await metric(httpPort, 'export_mqtt_reconnects_total'), 1)
  })

  it('readyz is 503 while a drop_newest store is full (new messages are lost), livez 200', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, httpPort } = await startBridgeWorld(td, {
      proxy: 'cut',
      collector: false,
      config: { store: { max_bytes: 2048, overflow: 'drop_newest' } },
      ready: ['connect failed', 'subscribed'],
    })
    assert.equal((await probe(httpPort, '/readyz')).status, 200, 'an empty store while the cloud is unreachable is ready')
    await publishSequence(nats.url, 'export.fill', 100, { payload: (i) => Buffer.from(String(i).padStart(64, '0')), batch: 10 })
    const full = await waitForProbe(httpPort, '/readyz', 503, 'readyz 503 with a full drop_newest store')
    assert.match(full.body.reasons?.join('\n') ?? '', /store is full .* drop_newest/)
    assert.equal((await probe(httpPort, '/livez')).status, 200)
  })
})
