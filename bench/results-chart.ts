// Which figures go into results.png.
import type { RunResult } from './measure.js'
import type { Plan } from './plan.js'
import type { Panel } from './chart.js'
import type { Section } from './report.js'

const COLORS = { plain: '#8c8c8c', mpub: '#4c72b0', memory: '#dd8452', file: '#55a868', extra: '#c44e52', extra2: '#8172b3' }

function runs(sections: readonly Section[], id: string): RunResult[] {
  return sections.find((s) => s.id === id)?.runs ?? []
}

export function buildPanels(sections: readonly Section[], plan: Plan): Panel[] {
  const panels: Panel[] = []
  const burst = runs(sections, 'burst')
  if (burst.length > 0) {
    const pick = (q: number, f: (r: RunResult) => boolean): number | undefined => burst.find((r) => r.spec.qos === q && f(r))?.throughputPerS
    const qs = plan.burstQos
    panels.push({
      title: `Burst ${plan.burstCount / 1000}k × ${plan.size} B: throughput`,
      yLabel: 'msg/s received',
      groups: qs.map((q) => `QoS ${q}`),
      series: [
        { name: 'plain pipe', color: COLORS.plain, values: qs.map((q) => pick(q, (r) => r.spec.kind === 'plain')) },
        { name: 'mosquitto_pub -l', color: COLORS.mpub, values: qs.map((q) => pick(q, (r) => r.spec.kind === 'mosquitto_pub')) },
        { name: 'service memory', color: COLORS.memory, values: qs.map((q) => pick(q, (r) => r.spec.kind === 'service' && r.spec.store === 'memory')) },
        { name: 'service file (default)', color: COLORS.file, values: qs.map((q) => pick(q, (r) => r.spec.kind === 'service' && r.spec.store === 'file')) },
      ],
    })
  }
  const up = runs(sections, 'uplink')
  if (up.length > 0) {
    const groups = plan.uplinkRtts.flatMap((rtt) => plan.uplinkQos.map((q) => ({ rtt, q, label: `${rtt} ms q${q}` })))
    const pick = (kind: 'plain' | 'service'): Array<number | undefined> =>
      groups.map((g) => up.find((r) => r.scenario.startsWith(`uplink ${g.rtt} ms,`) && r.spec.qos === g.q && r.spec.kind === kind)?.throughputPerS)
    panels.push({
      title: 'Uplink (proxy delay, default config): throughput',
      yLabel: 'msg/s received',
      groups: groups.map((g) => g.label),
      series: [
        { name: 'plain pipe', color: COLORS.plain, values: pick('plain') },
        { name: 'service file (default)', color: COLORS.file, values: pick('service') },
      ],
    })
  }
  const sweep = runs(sections, 'inflight')
  if (sweep.length > 0) {
    const colors = [COLORS.memory, COLORS.extra, COLORS.extra2, COLORS.mpub]
    panels.push({
      title: 'In-flight window (max_inflight), file store, loopback burst',
      yLabel: 'msg/s received',
      groups: plan.sweepQos.map((q) => `QoS ${q}`),
      series: [
        { name: 'plain pipe (∞)', color: COLORS.plain, values: plan.sweepQos.map((q) => sweep.find((r) => r.spec.qos === q && r.spec.kind === 'plain' && (r.spec.maxInFlight ?? 0) === 0)?.throughputPerS) },
        { name: 'auto (default)', color: COLORS.file, values: plan.sweepQos.map((q) => sweep.find((r) => r.spec.qos === q && r.spec.kind === 'service' && r.spec.maxInflight === undefined)?.throughputPerS) },
        ...plan.inflightSweep.map((w, i) => ({
          name: `max_inflight ${w} (tuned)`,
          color: colors[i % colors.length]!,
          values: plan.sweepQos.map((q) => sweep.find((r) => r.spec.qos === q && r.spec.kind === 'service' && r.spec.maxInflight === w)?.throughputPerS),
        })),
      ],
    })
  }
  const paced = runs(sections, 'paced')
  if (paced.length > 0) {
    const groups = [...new Set(paced.map((r) => `${r.scenario.replace('paced ', '')} q${r.spec.qos}`))]
    const key = (r: RunResult): string => `${r.scenario.replace('paced ', '')} q${r.spec.qos}`
    const p99 = (f: (r: RunResult) => boolean): Array<number | undefined> => groups.map((g) => paced.find((r) => key(r) === g && f(r))?.delivery.p99Ms)
    panels.push({
      title: 'Paced load: p99 latency NATS publish → MQTT delivery',
      yLabel: 'p99 ms (log)',
      log: true,
      groups,
      series: [
        { name: 'plain pipe', color: COLORS.plain, values: p99((r) => r.spec.kind === 'plain') },
        { name: 'mosquitto_pub -l', color: COLORS.mpub, values: p99((r) => r.spec.kind === 'mosquitto_pub') },
        { name: 'service memory', color: COLORS.memory, values: p99((r) => r.spec.kind === 'service' && r.spec.store === 'memory') },
        { name: 'service file', color: COLORS.file, values: p99((r) => r.spec.kind === 'service' && r.spec.store === 'file') },
      ],
    })
  }
  const drain = runs(sections, 'drain')
  if (drain.length > 0) {
    const qs = [...new Set(drain.map((r) => r.spec.qos))]
    panels.push({
      title: `Backlog of ${plan.drainCount / 1000}k (file store, via proxy)`,
      yLabel: 'msg/s received',
      groups: qs.map((q) => `QoS ${q}`),
      series: [
        { name: 'burst, link up', color: COLORS.memory, values: qs.map((q) => drain.find((r) => r.spec.qos === q && r.extra?.drainVsBurst === undefined)?.throughputPerS) },
        { name: 'drain after the cut', color: COLORS.file, values: qs.map((q) => drain.find((r) => r.spec.qos === q && r.extra?.drainVsBurst !== undefined)?.throughputPerS) },
      ],
    })
  }
  return panels
}
