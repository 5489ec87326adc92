import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { encodeMainfluxMessage } from '../../src/route/mfx.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { publishSequence } from '../helpers/nats-publisher.js'
import { chartTicks, inPage, outageRows, readDuration, readNumber, startChromium, text, visible, waitForLink, waitForRow, waitForText } from '../helpers/status-page.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const SECRET = 'page-secret-8c1f2a'
const CLOCK = /^\d\d:\d\d(:\d\d)?$/

/** Opens the page and records what would show a fault of the page itself: errors, reloads. */
async function openPage(page: Page, httpPort: number): Promise<{ errors: string[]; loads: () => number }> {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  let loads = 0
  page.on('load', () => loads++)
  const response = await page.goto(`http://127.0.0.1:${httpPort}/`)
  assert.equal(response?.status(), 200)
  await page.evaluate('window.__sameDocument = true')
  return { errors, loads: () => loads }
}

/** The page's /status numbers of a route, read by the test itself (not through the page). */
async function received(httpPort: number, route: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/status`, { signal: AbortSignal.timeout(5000) })
  const s = (await res.json()) as { routes: Array<{ id: string; received: number }> }
  return s.routes.find((r) => r.id === route)?.received ?? 0
}

describe('the status page (GET /) in a headless browser', () => {
  // Issue 11, item 5: each thing the page must show, checked where a person sees it.
  it('shows rates right on first load, the links, store, latency, charts, and a link cut with its error and outage', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, proxy, httpPort } = await startBridgeWorld(td, {
      proxy: 'forward',
      collector: { topic: 'channels/#', qos: 1 },
      config: {
        qos: 1,
        username: 'thing-1',
        password: SECRET,
        store: { max_bytes: '8MiB' },
        routes: [
          { nats_topic: 'export', mqtt_topic: 'channels/c1/messages' },
          { nats_topic: 'channels', mqtt_topic: 'channels/c2/messages', type: 'mfx', priority: 3 },
        ],
      },
    })
    const browser = await startChromium(td)

    // Messages flow for 6 s before the page opens: the first rates it shows must be the real ones
    // (issue 11: they came from two polls of the page, and showed 0 msg/s on first load).
    const seconds = 20
    const exportCount = 200 * seconds
    const mfxCount = 40 * seconds
    const mfx = (i: number): Uint8Array =>
      encodeMainfluxMessage({ channel: 'c2', subtopic: 'temp', publisher: 'thing-1', protocol: 'mqtt', payload: Buffer.from(`[{"n":"temp","v":${20 + (i % 7)}}]`) })
    const streams = Promise.all([
      publishSequence(nats.url, 'export.temp.room1', exportCount, { ratePerSec: 200, batch: 20 }),
      publishSequence(nats.url, 'channels.c2.temp', 1, { payload: () => Buffer.from('not a Mainflux message') }).then(() =>
        publishSequence(nats.url, 'channels.c2.temp', mfxCount, { ratePerSec: 40, batch: 4, payload: mfx }),
      ),
    ])
    streams.catch(() => undefined) // awaited below, where a failure is reported
    await waitFor(async () => (await received(httpPort, 'export')) >= 1200, { timeoutMs: 20_000, what: '6 s of messages' })

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const { errors, loads } = await openPage(page, httpPort)
    const first = await waitForRow(page, 'export', () => true, 'the export route')
    assert.ok(first.inRate >= 50 && first.outRate >= 50, `first load shows in ${first.inRate}, out ${first.outRate} msg/s while 200 msg/s flow`)
    assert.ok(readNumber(await text(page, 'rate-in')) >= 50, 'the header rate on first load')

    // The links, the broker and the connection's window; never a secret.
    await waitForLink(page, 'nats', 'connected')
    await waitForLink(page, 'mqtt', 'connected')
    assert.equal(await text(page, 'status'), 'pass')
    assert.equal(await text(page, 'broker'), `tcp://127.0.0.1:${proxy.port}`)
    assert.match(await text(page, 'client-id'), /^export-test-/)
    assert.equal(await text(page, 'qos'), '1')
    assert.equal(await text(page, 'protocol'), 'MQTT 3.1.1')
    assert.equal(await text(page, 'nats-servers'), nats.url)
    assert.equal(await text(page, 'mqtt-reconnects'), '0')
    assert.match(await text(page, 'mqtt-since'), /^connected since \d\d:\d\d:\d\d/)
    assert.ok(readNumber(await text(page, 'window-limit')) > 0)
    assert.ok(readNumber(await text(page, 'window-cap')) >= readNumber(await text(page, 'window-limit')))
    assert.match(await text(page, 'window-phase'), /^(growing|steady|draining|fixed)$/)
    await waitForText(page, 'window-rtt', (x) => /^\d+(\.\d+)? ms/.test(x), 'the round trip')
    assert.ok(!(await inPage<string>(page, 'document.documentElement.outerHTML')).includes(SECRET), 'the password is on the page')

    // The store against max_bytes, and the disk under it.
    assert.equal(await text(page, 'store-max'), '8.00 MiB')
    assert.match(await text(page, 'store-used'), /^\d+(\.\d+)? (B|KiB|MiB)$/)
    assert.match(await text(page, 'store-free'), /^\d+(\.\d+)? (MiB|GiB|TiB) of \d+(\.\d+)? (MiB|GiB|TiB)$/)
    assert.equal(await text(page, 'store-type'), 'file')

    // Latency, uptime, version, and the links to the machine-readable endpoints.
    const withLatency = await waitForRow(page, 'export', (r) => r.p50 !== '–' && r.p99 !== '–', 'latency quantiles')
    assert.ok(readDuration(withLatency.p50) <= readDuration(withLatency.p99), `p50 ${withLatency.p50} > p99 ${withLatency.p99}`)
    const uptime = readDuration(await text(page, 'uptime'))
    await waitForText(page, 'uptime', (x) => readDuration(x) > uptime, 'the uptime growing')
    assert.match(await text(page, 'version'), /^\d+\.\d+\.\d+ \(\w+\)$/)
    for (const [href, type] of [['metrics', /^text\/plain/], ['health', /^application\/json/]] as const) {
      const url = await inPage<string>(page, `document.querySelector('a[href="${href}"]').href`)
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
      assert.equal(res.status, 200, url)
      assert.match(res.headers.get('content-type') ?? '', type, url)
    }

    // Charts: a time axis, y ticks, a log scale (a drain must not flatten the steady state), one per route.
    const rates = await waitFor(async () => {
      const c = await chartTicks(page, '#chart-rates')
      return c.lines >= 2 && c.x.length >= 2 && c
    }, { timeoutMs: 10_000, what: 'the rates chart' })
    assert.equal(rates.scale, 'log')
    for (const label of rates.x) assert.match(label, CLOCK)
    assert.ok(rates.y.includes('10') && rates.y.includes('100'), `log ticks: ${rates.y.join(' ')}`)
    const queuedChart = await chartTicks(page, '#chart-queued')
    assert.equal(queuedChart.scale, 'linear')
    assert.ok(queuedChart.y.length >= 2 && queuedChart.x.length >= 2)
    for (const route of ['export', 'channels']) {
      const c = await chartTicks(page, `section[data-route-chart="${route}"] svg.chart:not(.small)`)
      assert.ok(c.lines >= 1 && c.x.length >= 2 && c.y.length >= 2, `chart of route ${route}: ${JSON.stringify(c)}`)
    }
    await page.locator('#log-scale').click()
    assert.equal((await chartTicks(page, '#chart-rates')).scale, 'linear')
    await page.locator('#log-scale').click()
    assert.equal((await chartTicks(page, '#chart-rates')).scale, 'log')

    // The link goes down: the page says so, with the error and its time; the backlog grows.
    const cutAt = Date.now()
    proxy.cut()
    await waitForLink(page, 'mqtt', 'disconnected')
    assert.equal(await text(page, 'status'), 'warn')
    assert.match(await text(page, 'reasons'), /MQTT broker disconnected/)
    await waitFor(() => visible(page, '#error'), { timeoutMs: 15_000, what: 'the error banner' })
    assert.match(await text(page, 'error-text'), /^MQTT: /)
    assert.match(await text(page, 'error-time'), CLOCK)
    assert.ok(await visible(page, '#error-when'))
    const backlog = await waitForRow(page, 'export', (r) => r.queued >= 200, 'a backlog of 200 messages')
    assert.ok(backlog.received - backlog.published >= 200)
    assert.equal((await outageRows(page))[0]?.back, 'ongoing')
    const restoredAt = Date.now()
    proxy.restore()

    // Back: the error clears, the outage is listed with its duration and shaded on the chart.
    await waitForLink(page, 'mqtt', 'connected')
    await waitFor(async () => !(await visible(page, '#error')), { timeoutMs: 15_000, what: 'the error banner to clear' })
    await waitForText(page, 'mqtt-reconnects', (x) => x === '1', 'one reconnect')
    const [outage] = await outageRows(page)
    assert.ok(outage !== undefined && outage.link === 'MQTT', JSON.stringify(await outageRows(page)))
    assert.match(outage.down, CLOCK)
    assert.match(outage.back, CLOCK)
    const held = (restoredAt - cutAt) / 1000
    assert.ok(readDuration(outage.duration) >= held - 1, `outage of ${outage.duration} for a cut of ${held} s`)
    assert.match(outage.cause, /^MQTT: /)
    assert.ok((await chartTicks(page, '#chart-rates')).outages >= 1, 'the outage is not shaded on the chart')
    await waitForRow(page, 'export', (r) => r.queued < 50 && r.published > backlog.published, 'the backlog drained', 30_000)

    await streams
    const done = await waitForRow(page, 'export', (r) => r.received === exportCount && r.published === exportCount && r.queued === 0, `${exportCount} received and published`, 30_000)
    assert.deepEqual([done.droppedOverflow, done.droppedMaxAge, done.droppedDiskFull, done.refused], [0, 0, 0, 0])
    await waitForRow(page, 'channels', (r) => r.received === mfxCount + 1 && r.published === mfxCount && r.invalid === 1, `${mfxCount} mfx messages published`)
    assert.match(await text(page, 'status'), /^pass$/)
    assert.equal(loads(), 1, 'the page was loaded more than once')
    assert.equal(await page.evaluate('window.__sameDocument === true'), true, 'the page was reloaded')
    assert.deepEqual(errors, [])
  })

  it('shows drops by reason, an unreachable cloud, and a NATS outage with its duration', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, httpPort } = await startBridgeWorld(td, {
      proxy: 'cut',
      collector: false,
      config: { qos: 1, store: { max_bytes: 2048, overflow: 'drop_oldest' }, routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages' }] },
      ready: ['connect failed', 'subscribed'],
    })
    const browser = await startChromium(td)
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const { errors } = await openPage(page, httpPort)

    await waitForLink(page, 'mqtt', 'disconnected')
    assert.equal(await text(page, 'mqtt-since'), 'never connected yet')
    await waitFor(() => visible(page, '#error'), { timeoutMs: 15_000, what: 'the error banner' })
    assert.match(await text(page, 'error-text'), /^MQTT: /)
    assert.match(await text(page, 'error-time'), CLOCK)

    await publishSequence(nats.url, 'export.drop', 100, { payload: (i) => Buffer.from(String(i).padStart(8, '0')), batch: 10 })
    const row = await waitForRow(page, 'export', (r) => r.received === 100 && r.droppedOverflow > 0, 'the overflow drops')
    assert.equal(row.queued + row.droppedOverflow, 100)
    assert.deepEqual([row.droppedMaxAge, row.droppedDiskFull], [0, 0])
    assert.notEqual(row.oldest, '–')
    assert.equal(await text(page, 'store-max'), '2.00 KiB')
    assert.match(await text(page, 'store-queued'), /^\d+(\.\d+)? (B|KiB)$/)

    await nats.kill()
    await waitForLink(page, 'nats', 'disconnected')
    assert.equal(await text(page, 'status'), 'fail')
    assert.match(await text(page, 'reasons'), /NATS disconnected/)
    assert.match(await text(page, 'nats-since'), /^down since \d\d:\d\d:\d\d/)
    await nats.restart()
    await waitForLink(page, 'nats', 'connected')
    await waitForText(page, 'nats-reconnects', (x) => x === '1', 'one NATS reconnect')
    const natsOutage = (await outageRows(page)).find((o) => o.link === 'NATS')
    assert.ok(natsOutage !== undefined, JSON.stringify(await outageRows(page)))
    assert.match(natsOutage.back, CLOCK)
    assert.ok(readDuration(natsOutage.duration) > 0)
    assert.match(natsOutage.cause, /NATS/)
    assert.deepEqual(errors, [])
  })
})
