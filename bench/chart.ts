// bench/results.png: grouped bar charts drawn as SVG and screenshotted in headless Chromium.
import { writeFile } from 'node:fs/promises'
import { chromium } from 'playwright-core'

export interface Series {
  name: string
  color: string
  /** One value per group; undefined or NaN: no bar. */
  values: Array<number | undefined>
}

export interface Panel {
  title: string
  yLabel: string
  groups: string[]
  series: Series[]
  log?: boolean
}

const W = 620
const H = 360
const M = { top: 40, right: 16, bottom: 64, left: 70 }

function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

function label(v: number): string {
  if (v >= 10_000) return `${Math.round(v / 1000)}k`
  if (v >= 1000) return `${(v / 1000).toFixed(1)}k`
  if (v >= 10) return String(Math.round(v))
  return v.toPrecision(2)
}

/** One panel as an SVG group at (x, y). */
export function panelSvg(p: Panel, x: number, y: number): string {
  const plotW = W - M.left - M.right
  const plotH = H - M.top - M.bottom
  const values = p.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0)
  const max = values.length > 0 ? Math.max(...values) : 1
  const min = values.length > 0 ? Math.min(...values) : 1
  const lo = p.log === true ? 10 ** Math.floor(Math.log10(min)) : 0
  const hi = p.log === true ? 10 ** Math.ceil(Math.log10(max)) : niceCeil(max)
  const scale = (v: number): number =>
    p.log === true ? ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH : (v / hi) * plotH
  const ticks = p.log === true
    ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, i) => lo * 10 ** i)
    : Array.from({ length: 5 }, (_, i) => (hi * i) / 4)
  const out: string[] = [`<g transform="translate(${x},${y})">`, `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(p.title)}</text>`]
  out.push(`<g transform="translate(${M.left},${M.top})">`)
  for (const t of ticks) {
    const ty = plotH - scale(t)
    out.push(`<line x1="0" x2="${plotW}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`, `<text x="-6" y="${ty + 4}" text-anchor="end" font-size="11">${label(t)}</text>`)
  }
  out.push(`<text transform="translate(-52,${plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`)
  const groupW = plotW / Math.max(1, p.groups.length)
  const barW = Math.min(28, (groupW * 0.8) / Math.max(1, p.series.length))
  p.groups.forEach((g, gi) => {
    const gx = gi * groupW + (groupW - barW * p.series.length) / 2
    p.series.forEach((s, si) => {
      const v = s.values[gi]
      if (v === undefined || !Number.isFinite(v) || v <= 0) return
      const h = Math.max(1, scale(v))
      const bx = gx + si * barW
      out.push(`<rect x="${bx}" y="${plotH - h}" width="${barW - 2}" height="${h}" fill="${s.color}"/>`)
      out.push(`<text x="${bx + (barW - 2) / 2}" y="${plotH - h - 3}" text-anchor="middle" font-size="9">${label(v)}</text>`)
    })
    out.push(`<text x="${gi * groupW + groupW / 2}" y="${plotH + 16}" text-anchor="middle" font-size="12">${esc(g)}</text>`)
  })
  out.push(`<line x1="0" x2="${plotW}" y1="${plotH}" y2="${plotH}" stroke="#333"/>`)
  let lx = 0
  for (const s of p.series) {
    out.push(`<rect x="${lx}" y="${plotH + 30}" width="10" height="10" fill="${s.color}"/>`, `<text x="${lx + 14}" y="${plotH + 39}" font-size="11">${esc(s.name)}</text>`)
    lx += 24 + s.name.length * 6.2
  }
  out.push('</g></g>')
  return out.join('\n')
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

/** Panels in a grid of two columns, with a caption line under them. */
export function chartSvg(panels: Panel[], caption: string): { svg: string; width: number; height: number } {
  const cols = Math.min(2, panels.length)
  const rows = Math.ceil(panels.length / cols)
  const width = cols * W
  const height = rows * H + 30
  const body = panels.map((p, i) => panelSvg(p, (i % cols) * W, Math.floor(i / cols) * H)).join('\n')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
<text x="10" y="${height - 10}" font-size="11" fill="#555">${esc(caption)}</text>
</svg>`
  return { svg, width, height }
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Renders the SVG to a PNG with Debian's Chromium. */
export async function renderPng(chart: { svg: string; width: number; height: number }, path: string, executablePath = '/usr/bin/chromium'): Promise<void> {
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
  try {
    const page = await browser.newPage({ viewport: { width: chart.width, height: chart.height } })
    await page.setContent(`<!doctype html><html><body style="margin:0">${chart.svg}</body></html>`)
    await writeFile(path, await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width: chart.width, height: chart.height } }))
  } finally {
    await browser.close()
  }
}
