// Takes docs/status-page.png: runs the demo (`npm run demo`: private nats-server and Mosquitto,
// the service, a fleet of 200 msg/s, cuts of the cloud link), waits until the page's charts show
// two cuts and their drains, and screenshots the page in Debian's Chromium (playwright-core).
// `npm run screenshot`; about two minutes. Options: --out FILE, --cut-every S, --cut-for S.
/* global fetch, URL, AbortSignal, document */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'docs/status-page.png' }, 'cut-every': { type: 'string', default: '40' }, 'cut-for': { type: 'string', default: '8' } },
})
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** Cuts that must have ended (and drained) before the picture: the chart shows the pattern. */
const CUTS = 2
const DEADLINE_MS = 6 * 60_000

const demo = spawn(process.execPath, ['dist/src/demo/main.js', '--http-port', '0', '--cut-every', values['cut-every'], '--cut-for', values['cut-for']], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const demoExited = new Promise((resolve) => demo.once('exit', resolve))

async function pageAddress() {
  for await (const line of createInterface({ input: demo.stdout })) {
    const m = /^Status page: (http:\/\/\S+)/.exec(line)
    if (m) {
      demo.stdout.resume() // the demo's progress lines are not needed
      return m[1]
    }
  }
  throw new Error('the demo exited before it printed the status page address')
}

async function status(url) {
  const res = await fetch(new URL('status', url), { signal: AbortSignal.timeout(5000) })
  return res.json()
}

/** Two ended cuts, the link up, the queue drained, and 15 s of steady flow after the last cut. */
function ready(s) {
  const ended = s.links.mqtt.outages.filter((o) => o.ended_at !== null)
  return s.mqtt === 'connected' && ended.length >= CUTS && s.queued < 100 && s.now - ended[0].ended_at > 15_000
}

let browser
try {
  const url = await pageAddress()
  console.log(`demo page at ${url}; waiting for ${CUTS} cuts and their drains`)
  const deadline = Date.now() + DEADLINE_MS
  for (;;) {
    if (ready(await status(url))) break
    if (Date.now() > deadline) throw new Error(`no ${CUTS} cuts and drains within ${DEADLINE_MS / 1000} s`)
    await delay(1000)
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(url)
  // Two polls: the first draws the history, the second has the page settled.
  await page.waitForFunction(() => document.querySelectorAll('svg#chart-rates polyline').length > 0)
  await page.waitForTimeout(2500)
  await page.screenshot({ path: values.out, fullPage: true })
  console.log(`wrote ${values.out}`)
} finally {
  await browser?.close()
  demo.kill('SIGINT')
  await demoExited
}
