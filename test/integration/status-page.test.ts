import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { chromium } from 'playwright-core'
import type { Page } from 'playwright-core'
import { encodeMainfluxMessage } from '../../src/route/mfx.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { publishSequence } from '../helpers/nats-publisher.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

/** Debian's Chromium; playwright-core drives it, no browser download. */
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
/** `UPDATE_SCREENSHOT=1` writes the screenshot used by docs/operations.md. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1' ? resolve(process.cwd(), 'docs/status-page.png') : undefined

/** The numbers of a route's row on the page, as a person reads them. */
interface RouteRow {
  inRate: number
  outRate: number
  received: number
  published: number
  invalid: number
  dropped: number
  queued: number
}

/** A number as the page formats it: `950`, `12.5k`, `1.2M`. */
function readNumber(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(text.trim())
  assert.ok(m, `not a number on the page: "${text}"`)
  return Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1)
}

async function routeRow(page: Page, route: string): Promise<RouteRow | undefined> {
  const cells = await page.locator(`tr[data-route="${route}"] td`).allTextContents()
  if (cells.length < 10) return undefined
  const n = (i: number): number => readNumber(cells[i] ?? '')
  return { inRate: n(1), outRate: n(2), received: n(3), published: n(4), invalid: n(5), dropped: n(6), queued: n(7) }
}

async function linkState(page: Page, id: 'nats' | 'mqtt'): Promise<{ text: string; className: string }> {
  const pill = page.locator(`#${id}`)
  return { text: (await pill.textContent()) ?? '', className: (await pill.getAttribute('class')) ?? '' }
}

/** Polls the page (never reloading it) until `check` holds for a route's row; returns that row. */
async function waitForRow(page: Page, route: string, check: (r: RouteRow) => boolean, what: string, timeoutMs = 15_000): Promise<RouteRow> {
  let last: RouteRow | undefined
  return waitFor(
    async () => {
      last = await routeRow(page, route)
      return last !== undefined && check(last) && last
    },
    { timeoutMs, what: `the page to show ${what}`, intervalMs: 100 },
  ).catch((err: unknown) => {
    throw new Error(`the page never showed ${what}; last row of ${route}: ${JSON.stringify(last)}`, { cause: err })
  })
}

async function waitForLink(page: Page, id: 'nats' | 'mqtt', state: 'connected' | 'disconnected'): Promise<void> {
  await waitFor(async () => (await linkState(page, id)).text === state, { timeoutMs: 15_000, what: `the page to show ${id} ${state}`, intervalMs: 100 })
}

describe('the status page (GET /) in a headless browser', () => {
  it('shows the links and the route counters live, without a reload of the page', async (t) => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian's Chromium with "apt-get install -y chromium"`)
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, proxy, httpPort } = await startBridgeWorld(td, {
      proxy: 'forward',
      collector: { topic: 'channels/#', qos: 1 },
      config: {
        qos: 1,
        routes: [
          { nats_topic: 'export', mqtt_topic: 'channels/c1/messages' },
          { nats_topic: 'channels', mqtt_topic: 'channels/c2/messages', type: 'mfx' },
        ],
      },
    })

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    td.add(() => browser.close(), 'chromium')
    const page = await browser.newPage({ viewport: { width: 1200, height: 720 } })
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    let loads = 0
    page.on('load', () => loads++)
    const response = await page.goto(`http://127.0.0.1:${httpPort}/`)
    assert.equal(response?.status(), 200)
    await page.evaluate('window.__sameDocument = true')

    await waitForLink(page, 'nats', 'connected')
    await waitForLink(page, 'mqtt', 'connected')
    assert.match((await linkState(page, 'nats')).className, /\bup\b/)
    assert.match((await linkState(page, 'mqtt')).className, /\bup\b/)
    const start = await waitForRow(page, 'export', () => true, 'the export route')
    assert.equal(start.received, 0)

    // Two streams at different rates; long enough for the page to poll many times. With the
    // screenshot wanted, longer still, so that the chart has a history to draw.
    const seconds = SCREENSHOT ? 45 : 12
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
    let streamsDone = false
    void streams.finally(() => {
      streamsDone = true
    }).catch(() => undefined) // awaited below, where a failure is reported

    // The numbers move while the page stays the same document.
    const first = await waitForRow(page, 'export', (r) => r.received > 0 && r.published > 0, 'messages received and published')
    const second = await waitForRow(page, 'export', (r) => r.received > first.received && r.published > first.published, 'the counters change again')
    assert.ok(second.received > first.received && second.published > first.published)
    await waitForRow(page, 'export', (r) => r.inRate > 0 && r.outRate > 0, 'rates above 0')
    await waitForRow(page, 'channels', (r) => r.invalid === 1 && r.published > 0, 'the invalid payload of the mfx route')

    // The link goes down: the page says so, and the backlog grows; then it drains.
    proxy.cut()
    await waitForLink(page, 'mqtt', 'disconnected')
    assert.match((await linkState(page, 'mqtt')).className, /\bdown\b/)
    const backlogSize = SCREENSHOT ? 1000 : 200 // a longer outage makes a visible bump in the chart
    const backlog = await waitForRow(page, 'export', (r) => r.queued >= backlogSize, `a backlog of ${backlogSize} messages`)
    assert.ok(backlog.received - backlog.published >= backlogSize)
    proxy.restore()
    await waitForLink(page, 'mqtt', 'connected')
    await waitForRow(page, 'export', (r) => r.queued < 50 && r.published > backlog.published, 'the backlog drained', 30_000)

    if (SCREENSHOT) {
      // Messages still flowing, the outage visible in the chart.
      await waitForRow(page, 'export', (r) => r.inRate > 0 && r.outRate > 0 && r.published > backlog.published + 4000, 'more messages after the outage', 60_000)
      assert.equal(streamsDone, false, 'the streams ended before the screenshot')
      await mkdir(dirname(SCREENSHOT), { recursive: true })
      await page.screenshot({ path: SCREENSHOT, fullPage: true })
      t.diagnostic(`screenshot written to ${SCREENSHOT}`)
    }

    await streams
    const done = await waitForRow(page, 'export', (r) => r.received === exportCount && r.published === exportCount && r.queued === 0, `${exportCount} received and published`, 30_000)
    assert.equal(done.dropped, 0)
    await waitForRow(page, 'channels', (r) => r.received === mfxCount + 1 && r.published === mfxCount && r.invalid === 1, `${mfxCount} mfx messages published`)
    assert.equal(loads, 1, 'the page was loaded more than once')
    assert.equal(await page.evaluate('window.__sameDocument === true'), true, 'the page was reloaded')
    assert.deepEqual(pageErrors, [])
  })
})
