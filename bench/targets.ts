// The targets of issues #9 and #6, checked against the figures of the same run. Only rows with the
// configuration users have count: a tuned run (`--max-inflight`) is reported, never judged.
import type { RunResult } from './measure.js'
import type { Plan } from './plan.js'
import { baselineOf, ratio } from './report.js'
import type { Section, TargetStatus } from './report.js'
import { isTuned } from './systems.js'
import { limit20Scenario, uplinkRun } from './uplink.js'

/** "≤ 200 MB" in the issues: decimal megabytes, so 190.7 MiB. */
const RSS_LIMIT_MIB = 200e6 / 2 ** 20

function section(sections: readonly Section[], id: string): RunResult[] {
  return sections.find((s) => s.id === id)?.runs ?? []
}

const pct = (n: number): string => `${Math.round(n * 100)} %`
const int = (n: number): string => Math.round(n).toLocaleString('en-US')
/** Every message arrived, or (a queue-only scenario, nothing is delivered) every message was queued. */
const complete = (r: RunResult): boolean => r.delivery.received >= r.load.count || (r.extra?.queued ?? 0) >= r.load.count

/** A judged figure: undefined (not measured) when the run is missing or tuned. */
function judge(target: string, r: RunResult | undefined, value: number | undefined, text: (v: number) => string, ok: (v: number) => boolean): TargetStatus {
  if (r === undefined || value === undefined || !Number.isFinite(value)) return { target, measured: '–', met: undefined }
  if (isTuned(r.spec)) return { target, measured: `${text(value)} (tuned run: not judged)`, met: undefined }
  return { target, measured: text(value), met: ok(value) && complete(r) }
}

export function evaluateTargets(plan: Plan, sections: readonly Section[]): TargetStatus[] {
  const out: TargetStatus[] = []
  // Issue 9: over the uplink, each round trip.
  const up = section(sections, 'uplink')
  for (const rtt of plan.uplinkRtts) {
    for (const q of plan.uplinkQos) {
      const r = uplinkRun(up, rtt, q, plan.uplinkCount[q], 'service')
      const x = r === undefined ? undefined : ratio(up, r, 'plain')
      const pipe = r === undefined ? undefined : baselineOf(up, r, 'plain')
      out.push(
        judge(
          `${rtt} ms uplink, QoS ${q}${q === 2 ? ' over MQTT 5' : ''}, default config: ≥ 90 % of the plain pipe`,
          r,
          x,
          (v) => `${pct(v)} (${int(r!.throughputPerS)} against ${int(pipe?.throughputPerS ?? Number.NaN)} msg/s)`,
          (v) => v >= 0.9,
        ),
      )
    }
  }
  const limit = section(sections, 'uplink-limit20')
  for (const rtt of plan.uplinkRtts) {
    const r = limit.find((x) => x.scenario === limit20Scenario(rtt))
    out.push(judge(`${rtt} ms uplink, QoS 2 over 3.1.1 against a broker taking 20: ≥ 90 % of 20 per round trip`, r, r?.extra?.vsCeiling, (v) => `${pct(v)} (${int(r!.throughputPerS)} of ${int(r!.extra!.ceilingPerS!)} msg/s)`, (v) => v >= 0.9))
  }
  const drain = section(sections, 'uplink-drain').find((r) => r.extra?.vsPipe !== undefined)
  out.push(judge(`a ${plan.uplinkDrainCount / 1000}k backlog drains over the ${plan.uplinkDrainRtt} ms link at ≥ 80 % of the plain pipe's burst there`, drain, drain?.extra?.vsPipe, (v) => `${pct(v)} (${int(drain!.throughputPerS)} msg/s)`, (v) => v >= 0.8))
  // Loopback, default config.
  const burst = section(sections, 'burst')
  const fileRun = (q: number): RunResult | undefined => burst.find((r) => r.spec.kind === 'service' && r.spec.store === 'file' && r.spec.qos === q)
  for (const q of [0, 1] as const) {
    const r = fileRun(q)
    out.push(judge(`loopback QoS ${q} burst, default config: ≥ 90 % of the plain pipe`, r, r === undefined ? undefined : ratio(burst, r, 'plain'), (v) => `${pct(v)} (${int(r!.throughputPerS)} msg/s)`, (v) => v >= 0.9))
  }
  const paced = section(sections, 'paced')
  const pacedService = paced.find((r) => r.scenario === 'paced 5k/s' && r.spec.kind === 'service' && r.spec.store === 'file' && r.spec.qos === 1)
  const pacedPipe = pacedService === undefined ? undefined : baselineOf(paced, pacedService, 'plain')
  out.push(
    judge(
      'paced 5k msg/s, QoS 1, default config: p99 ≤ 1.5 × the plain pipe\'s p99',
      pacedService,
      pacedService === undefined || pacedPipe === undefined ? undefined : pacedService.delivery.p99Ms / pacedPipe.delivery.p99Ms,
      (v) => `${v.toFixed(2)} × (p99 ${pacedService!.delivery.p99Ms.toFixed(1)} ms against ${pacedPipe!.delivery.p99Ms.toFixed(1)} ms)`,
      (v) => v <= 1.5,
    ),
  )
  const full = section(sections, 'uplink-rss')[0]
  out.push(
    judge(
      'peak RSS ≤ 200 MB (190.7 MiB) while a 600 ms link carries a full window',
      full,
      full?.peakRssMiB,
      (v) => `${v.toFixed(0)} MiB (up to ${int(full!.extra?.maxInFlight ?? 0)} in flight, window full in ${pct(full!.extra?.fullShare ?? 0)} of samples)`,
      (v) => v <= RSS_LIMIT_MIB,
    ),
  )
  const burst600 = uplinkRun(up, 600, 1, plan.uplinkCount[1], 'service')
  if (burst600 !== undefined) {
    const pipe600 = baselineOf(up, burst600, 'plain')
    out.push({ target: '(for reference) peak RSS in the 600 ms QoS 1 burst', measured: `service ${burst600.peakRssMiB?.toFixed(0) ?? '–'} MiB, plain pipe ${pipe600?.peakRssMiB?.toFixed(0) ?? '–'} MiB`, met: undefined })
  }
  const rss = section(sections, 'rss')[0]
  out.push(
    judge(
      `peak RSS ≤ 200 MB with ${plan.rssCount >= 1e6 ? `${plan.rssCount / 1e6}M` : `${plan.rssCount / 1000}k`} messages queued in the file store`,
      rss,
      rss?.peakRssMiB,
      (v) => `${v.toFixed(0)} MiB with ${(rss!.extra?.queued ?? 0).toLocaleString('en-US')} queued`,
      (v) => v <= RSS_LIMIT_MIB && (rss!.extra?.queued ?? 0) >= rss!.load.count,
    ),
  )
  // Issue 6, still checked.
  const r2 = fileRun(2)
  out.push(judge('(issue 6) loopback QoS 2 burst, file store: ≥ 90 % of `mosquitto_pub -l`', r2, r2 === undefined ? undefined : ratio(burst, r2, 'mosquitto_pub'), (v) => `${pct(v)} (${int(r2!.throughputPerS)} msg/s)`, (v) => v >= 0.9))
  out.push(judge('(issue 6) paced 5k msg/s, QoS 1, file store: p99 ≤ 20 ms', pacedService, pacedService?.delivery.p99Ms, (v) => `p99 ${v.toFixed(1)} ms`, (v) => v <= 20))
  const drains = section(sections, 'drain').filter((r) => r.extra?.drainVsBurst !== undefined)
  out.push({
    target: `(issue 6) a ${plan.drainCount / 1000}k backlog drains on the loopback at ≥ 80 % of burst throughput`,
    measured: drains.length === 0 ? '–' : drains.map((r) => `QoS ${r.spec.qos}: ${pct(r.extra!.drainVsBurst!)} (${int(r.throughputPerS)} msg/s)`).join('; '),
    met: drains.length === 0 || drains.some((r) => isTuned(r.spec)) ? undefined : drains.every((r) => r.extra!.drainVsBurst! >= 0.8 && complete(r)),
  })
  return out
}
