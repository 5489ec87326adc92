import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import type { Teardown } from './teardown.js'
import { waitFor } from './wait.js'

/** Debian's Chromium; playwright-core drives it, no browser download. */
export const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Starts headless Chromium, closed by `td`; fails with the install command when it is missing. */
export async function startChromium(td: Teardown): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian's Chromium with "apt-get install -y chromium"`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  td.add(() => browser.close(), 'chromium')
  return browser
}

/** The numbers of a route's row on the page, as a person reads them. */
export interface RouteRow {
  inRate: number
  outRate: number
  queued: number
  inFlight: number
  received: number
  published: number
  invalid: number
  refused: number
  droppedOverflow: number
  droppedMaxAge: number
  droppedDiskFull: number
  /** Texts as shown: `–` or `2.1 ms`, `7.5 s`. */
  oldest: string
  p50: string
  p99: string
}

/** A number as the page formats it: `950`, `12.5k`, `1.2M`, `3.5`. */
export function readNumber(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(text.trim())
  assert.ok(m, `not a number on the page: "${text}"`)
  return Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1)
}

/** A duration as the page formats it (`850 ms`, `12.4 s`, `3 min 05 s`), in seconds. */
export function readDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?) (ms|s)$|^(\d+) min (\d+) s$|^(\d+) h (\d+) min$/.exec(text.trim())
  assert.ok(m, `not a duration on the page: "${text}"`)
  if (m[2] === 'ms') return Number(m[1]) / 1000
  if (m[2] === 's') return Number(m[1])
  if (m[3] !== undefined) return Number(m[3]) * 60 + Number(m[4])
  return Number(m[5]) * 3600 + Number(m[6]) * 60
}

/**
 * Runs `expression` in the page and returns its value as `T`. The page's code is given as text:
 * the tests are compiled without the DOM's types, so a function typed for the page would not be.
 */
export async function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression)
}

export async function routeRow(page: Page, route: string): Promise<RouteRow | undefined> {
  const cells = await inPage<Record<string, string | undefined>>(
    page,
    `Object.fromEntries([...document.querySelectorAll(${JSON.stringify(`tr[data-route="${route}"] td`)})].map((td) => [td.dataset.col, td.textContent]))`,
  )
  if (cells.in === undefined) return undefined
  const n = (col: string): number => readNumber(String(cells[col]))
  return {
    inRate: n('in'),
    outRate: n('out'),
    queued: n('queued'),
    inFlight: n('in-flight'),
    received: n('received'),
    published: n('published'),
    invalid: n('invalid'),
    refused: n('refused'),
    droppedOverflow: n('dropped-overflow'),
    droppedMaxAge: n('dropped-max-age'),
    droppedDiskFull: n('dropped-disk-full'),
    oldest: String(cells.oldest),
    p50: String(cells.p50),
    p99: String(cells.p99),
  }
}

/** Polls the page (never reloading it) until `check` holds for a route's row; returns that row. */
export async function waitForRow(page: Page, route: string, check: (r: RouteRow) => boolean, what: string, timeoutMs = 15_000): Promise<RouteRow> {
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

/** The text of an element by id ('' when it has none). */
export async function text(page: Page, id: string): Promise<string> {
  return ((await page.locator(`#${id}`).textContent()) ?? '').trim()
}

/** Polls until `check` holds for the text of element `id`; returns that text. */
export async function waitForText(page: Page, id: string, check: (t: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
  let last = ''
  return waitFor(
    async () => {
      last = await text(page, id)
      return check(last) && last
    },
    { timeoutMs, what: `the page to show ${what}`, intervalMs: 100 },
  ).catch((err: unknown) => {
    throw new Error(`the page never showed ${what}; #${id} says "${last}"`, { cause: err })
  })
}

export async function waitForLink(page: Page, id: 'nats' | 'mqtt', state: 'connected' | 'disconnected'): Promise<void> {
  await waitForText(page, id, (t) => t === state, `${id} ${state}`)
  assert.match((await page.locator(`#${id}`).getAttribute('class')) ?? '', state === 'connected' ? /\bup\b/ : /\bdown\b/)
}

/** Whether an element is shown (not `hidden`, nor inside a hidden one). */
export function visible(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).isVisible()
}

/** The rows of the outage table: link, down at, back at, duration, cause. */
export async function outageRows(page: Page): Promise<Array<{ link: string; down: string; back: string; duration: string; cause: string }>> {
  return inPage(
    page,
    `[...document.querySelectorAll('#outages tr[data-link]')].map((tr) => Object.fromEntries(['link', 'down', 'back', 'duration', 'cause'].map((col) => [col, tr.querySelector('td[data-col="' + col + '"]').textContent])))`,
  )
}

/** The tick labels of a chart: along the time axis and the y axis. */
export async function chartTicks(page: Page, svg: string): Promise<{ x: string[]; y: string[]; scale: string | null; lines: number; outages: number }> {
  const chart = page.locator(svg)
  return {
    x: await chart.locator('text.tick-x').allTextContents(),
    y: await chart.locator('text.tick-y').allTextContents(),
    scale: await chart.getAttribute('data-scale'),
    lines: await chart.locator('polyline').count(),
    outages: await chart.locator('rect.outage').count(),
  }
}
