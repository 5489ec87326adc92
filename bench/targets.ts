// The targets of issue #6, checked against the figures of the same run.
import type { RunResult } from './measure.js'
import type { Plan } from './plan.js'
import { ratio } from './report.js'
import type { Section, TargetStatus } from './report.js'

/** "≤ 200 MB" in the issue: decimal megabytes, so 190.7 MiB. */
const RSS_LIMIT_MIB = 200e6 / 2 ** 20

function section(sections: readonly Section[], id: string): RunResult[] {
  return sections.find((s) => s.id === id)?.runs ?? []
}

const pct = (n: number): string => `${Math.round(n * 100)} %`

export function evaluateTargets(plan: Plan, sections: readonly Section[]): TargetStatus[] {
  const out: TargetStatus[] = []
  const burst = section(sections, 'burst')
  const fileRun = (q: number): RunResult | undefined =>
    burst.find((r) => r.spec.kind === 'service' && r.spec.store === 'file' && r.spec.qos === q)
  for (const q of [0, 1] as const) {
    const r = fileRun(q)
    const x = r === undefined ? undefined : ratio(burst, r, 'plain')
    out.push({
      target: `QoS ${q} burst, file store ≥ 90 % of the plain pipe`,
      measured: x === undefined || r === undefined ? '–' : `${pct(x)} (${Math.round(r.throughputPerS).toLocaleString('en-US')} msg/s)`,
      met: x === undefined || !Number.isFinite(x) ? undefined : x >= 0.9 && r!.delivery.received >= r!.load.count,
    })
  }
  const r2 = fileRun(2)
  const x2 = r2 === undefined ? undefined : ratio(burst, r2, 'mosquitto_pub')
  out.push({
    target: 'QoS 2 burst, file store ≥ 90 % of `mosquitto_pub -l`',
    measured: x2 === undefined || r2 === undefined ? '–' : `${pct(x2)} (${Math.round(r2.throughputPerS).toLocaleString('en-US')} msg/s)`,
    met: x2 === undefined || !Number.isFinite(x2) ? undefined : x2 >= 0.9 && r2!.delivery.received >= r2!.load.count,
  })
  const paced = section(sections, 'paced').find((r) => r.scenario === 'paced 5k/s' && r.spec.kind === 'service' && r.spec.store === 'file' && r.spec.qos === 1)
  out.push({
    target: 'paced 5k msg/s, QoS 1, file store: p99 ≤ 20 ms',
    measured: paced === undefined ? '–' : `p99 ${paced.delivery.p99Ms.toFixed(1)} ms (p50 ${paced.delivery.p50Ms.toFixed(1)} ms)`,
    met: paced === undefined ? undefined : paced.delivery.p99Ms <= 20 && paced.delivery.received >= paced.load.count,
  })
  const drains = section(sections, 'drain').filter((r) => r.extra?.drainVsBurst !== undefined)
  out.push({
    target: `a ${plan.drainCount / 1000}k backlog drains at ≥ 80 % of burst throughput`,
    measured: drains.length === 0 ? '–' : drains.map((r) => `QoS ${r.spec.qos}: ${pct(r.extra!.drainVsBurst!)} (${Math.round(r.throughputPerS).toLocaleString('en-US')} msg/s)`).join('; '),
    met: drains.length === 0 ? undefined : drains.every((r) => r.extra!.drainVsBurst! >= 0.8 && r.delivery.received >= r.load.count),
  })
  const rss = section(sections, 'rss')[0]
  out.push({
    target: `peak RSS ≤ 200 MB (190.7 MiB) with ${plan.rssCount >= 1e6 ? `${plan.rssCount / 1e6}M` : `${plan.rssCount / 1000}k`} messages queued in the file store`,
    measured: rss?.peakRssMiB === undefined ? '–' : `${rss.peakRssMiB.toFixed(0)} MiB with ${(rss.extra?.queued ?? 0).toLocaleString('en-US')} queued`,
    met: rss?.peakRssMiB === undefined ? undefined : rss.peakRssMiB <= RSS_LIMIT_MIB && (rss.extra?.queued ?? 0) >= rss.load.count,
  })
  return out
}
