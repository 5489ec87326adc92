import type { ServiceProcess } from './service-process.js'

/** The body of the service's `GET /health`, as far as the tests read it. */
export interface HealthBody {
  /** `fail` (503) while NATS is down; `warn` while the cloud link is down or acks do not come; else `pass`. */
  status: string
  description: string
  nats: string
  mqtt: string
  /** `ok` or `disk_full`. */
  store: string
  /** Messages in the store, every route together. */
  queued: number
  /** `''` when there is none. */
  last_error: string
  /** Why the status is not `pass`, one line each. */
  reasons: string[]
}

/** `GET /health` of the service, with the body typed (it is not checked: assert on its fields). */
export async function healthOf(service: ServiceProcess): Promise<{ status: number; body: HealthBody }> {
  const { status, body } = await service.health()
  return { status, body: body as HealthBody }
}

/** The messages waiting in the service's store (`queued` of `/health`). */
export async function queuedOf(service: ServiceProcess): Promise<number> {
  return (await healthOf(service)).body.queued
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/**
 * The value of the sample `name` with exactly these `labels` (in any order) in Prometheus text, or
 * undefined if there is no such sample. Label values are compared as written (escapes kept).
 */
export function metricValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const want = Object.entries(labels)
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const m = SAMPLE_LINE.exec(line)
    if (m === null || m[1] !== name) continue
    const have = new Map([...(m[2] ?? '').matchAll(LABEL)].map(([, k, v]) => [k!, v!]))
    if (have.size === want.length && want.every(([k, v]) => have.get(k) === v)) return Number(m[3])
  }
  return undefined
}

/**
 * Scrapes the service's `/metrics` once and returns {@link metricValue}, or 0 if there is no such
 * sample: a poll on a counter then simply waits on, and a mistyped name fails as a wrong value.
 */
export async function scrapeMetric(httpPort: number, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  return metricValue(text, name, labels) ?? 0
}
