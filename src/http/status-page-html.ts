import { readFileSync } from 'node:fs'

/** The page's parts, beside this module (copied into dist/ by scripts/copy-page.mjs). */
const PARTS = new URL('./status-page/', import.meta.url)

let cached: string | undefined

function part(name: string): string {
  return readFileSync(new URL(name, PARTS), 'utf8')
}

/**
 * The status page (`GET /`): one self-contained HTML document, no CDN (gateways are often
 * offline). Its style and scripts are small files in `status-page/`, linted and read as they are,
 * put inline into `index.html` on first use and kept. The page polls `GET /status` every second.
 */
export function statusPageHtml(): string {
  cached ??= part('index.html')
    .replace('/* style.css */', () => part('style.css'))
    .replace('// chart.js', () => part('chart.js'))
    .replace('// page.js', () => part('page.js'))
  return cached
}
