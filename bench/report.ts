// bench/results.md from the figures of one run.
import type { RunResult } from './measure.js'

/** A titled table of runs; baselines are the rows whose spec kind is not `service`. */
export interface Section {
  id: string
  title: string
  /** Markdown shown under the title: what was run and how to read it. */
  about: string
  runs: RunResult[]
}

export interface TargetStatus {
  target: string
  measured: string
  met: boolean | undefined
}

export interface RunInfo {
  command: string
  startedAt: string
  durationS: number
  mode: string
  reps: number
  /** What the service rows run with: the default configuration, or a labelled tuned one. */
  configuration: string
  reader: string
  machine: string
  loadBefore: string
  loadAfter: string
  commit: string
}

const int = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US'))
const ms = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'))
const pct = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '–' : `${Math.round(n * 100)} %`)
const num = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits))

/** The baseline run of `kind` in the same scenario and QoS as `r`. */
export function baselineOf(runs: readonly RunResult[], r: RunResult, kind: 'plain' | 'mosquitto_pub'): RunResult | undefined {
  return runs.find((b) => b.scenario === r.scenario && b.spec.qos === r.spec.qos && b.spec.kind === kind && !(b.spec.kind === 'plain' && (b.spec.maxInFlight ?? 0) > 0))
}

export function ratio(runs: readonly RunResult[], r: RunResult, kind: 'plain' | 'mosquitto_pub'): number | undefined {
  const b = baselineOf(runs, r, kind)
  return b === undefined ? undefined : r.throughputPerS / b.throughputPerS
}

function storeOf(r: RunResult): string {
  return r.spec.kind === 'service' ? r.spec.store : '–'
}

function inFlightOf(r: RunResult): string {
  if (r.spec.kind === 'service') return r.spec.maxInflight !== undefined ? String(r.spec.maxInflight) : 'auto'
  if (r.spec.kind === 'plain') return (r.spec.maxInFlight ?? 0) > 0 ? String(r.spec.maxInFlight) : '∞'
  return '20'
}

function runTable(s: Section): string[] {
  const rows = [
    '| scenario | system | QoS | store | in flight | msg/s | p50 ms | p99 ms | peak RSS MiB | CPU s (proc / mosquitto) | CPU µs/msg | vs plain pipe | vs mosquitto_pub | received |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of s.runs) {
    const isBase = r.spec.kind !== 'service'
    rows.push([
      '', r.scenario, isBase ? `*${r.system}*` : r.system, String(r.spec.qos), storeOf(r), inFlightOf(r),
      int(r.throughputPerS), ms(r.delivery.p50Ms), ms(r.delivery.p99Ms), num(r.peakRssMiB, 0),
      `${num(r.cpuS)} / ${num(r.brokerCpuS)}`,
      r.cpuS === undefined || r.delivery.received === 0 ? '–' : num((r.cpuS * 1e6) / r.delivery.received, 0),
      isBase ? '' : pct(ratio(s.runs, r, 'plain')), isBase ? '' : pct(ratio(s.runs, r, 'mosquitto_pub')),
      `${int(r.delivery.received)}${r.delivery.distinct !== r.delivery.received ? ` (${int(r.delivery.distinct)} distinct)` : ''}${r.note !== undefined ? ` (${r.note})` : ''}`, '',
    ].join(' | ').trim())
  }
  return rows
}

function drainTable(s: Section): string[] {
  const rows = [
    '| scenario | run | QoS | msg/s | reconnect wait s | drain / burst | drain / plain pipe burst | peak RSS MiB | received |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of s.runs) {
    rows.push(`| ${r.scenario} | ${r.system} | ${r.spec.qos} | ${int(r.throughputPerS)} | ${num(r.extra?.reconnectWaitS)} | ${pct(r.extra?.drainVsBurst)} | ${pct(r.extra?.vsPipe)} | ${num(r.peakRssMiB, 0)} | ${int(r.delivery.received)}${r.note !== undefined ? ` (${r.note})` : ''} |`)
  }
  return rows
}

function limitTable(s: Section): string[] {
  const rows = [
    '| scenario | system | in flight | msg/s | ceiling msg/s (20 per round trip) | vs ceiling | p99 ms | peak RSS MiB | received |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of s.runs) {
    rows.push(`| ${r.scenario} | ${r.system} | ${inFlightOf(r)} | ${int(r.throughputPerS)} | ${int(r.extra?.ceilingPerS)} | ${pct(r.extra?.vsCeiling)} | ${ms(r.delivery.p99Ms)} | ${num(r.peakRssMiB, 0)} | ${int(r.delivery.received)}${r.note !== undefined ? ` (${r.note})` : ''} |`)
  }
  return rows
}

function fullWindowTable(s: Section): string[] {
  const rows = ['| scenario | system | msg/s | peak RSS MiB | most in flight | window at the end | window full | received |', '|---|---|---:|---:|---:|---:|---:|---:|']
  for (const r of s.runs) {
    rows.push(`| ${r.scenario} | ${r.system} | ${int(r.throughputPerS)} | ${num(r.peakRssMiB, 0)} | ${int(r.extra?.maxInFlight)} | ${int(r.extra?.windowAtEnd)} | ${pct(r.extra?.fullShare)} of samples | ${int(r.delivery.received)}${r.note !== undefined ? ` (${r.note})` : ''} |`)
  }
  return rows
}

function rssTable(s: Section): string[] {
  const rows = [
    '| scenario | system | queued | ingest msg/s | peak RSS MiB | RSS before MiB | CPU s |',
    '|---|---|---:|---:|---:|---:|---:|',
  ]
  for (const r of s.runs) {
    rows.push(`| ${r.scenario} | ${r.system} | ${int(r.extra?.queued)} | ${int(r.extra?.ingestPerS)} | ${num(r.peakRssMiB, 0)} | ${num(r.extra?.rssBeforeMiB, 0)} | ${num(r.cpuS)} |${r.note !== undefined ? ` ${r.note}` : ''}`)
  }
  return rows
}

export function renderResults(info: RunInfo, targets: TargetStatus[], sections: Section[], appendix: string, closingNote: string): string {
  const out = [
    '# Benchmark results',
    '',
    `Produced by \`${info.command}\` (${info.mode} mode) on ${info.startedAt}; the run took ${Math.round(info.durationS)} s.`,
    `Machine: ${info.machine}. Load average before / after: ${info.loadBefore} / ${info.loadAfter}.`,
    `Commit ${info.commit}. Service: ${info.configuration}, unless a row says "tuned"; reader: ${info.reader};`,
    `burst, uplink and sweep rows are the median of ${info.reps} interleaved run(s). How the figures are made: bench/README.md.`,
    '',
    '## Targets (issues #9 and #6)',
    '',
    '| target | measured | status |',
    '|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met === undefined ? 'not measured' : t.met ? 'met' : '**not met**'} |`),
    '',
  ]
  for (const s of sections) {
    out.push(`## ${s.title}`, '', s.about, '')
    if (s.id === 'drain' || s.id === 'uplink-drain') out.push(...drainTable(s))
    else if (s.id === 'uplink-limit20') out.push(...limitTable(s))
    else if (s.id === 'uplink-rss') out.push(...fullWindowTable(s))
    else if (s.id === 'rss') out.push(...rssTable(s))
    else out.push(...runTable(s))
    out.push('')
  }
  if (appendix !== '') out.push(appendix, '')
  out.push(CLOSING_MARK, '', closingNote.trim() === '' ? '## Closing note\n\n(none yet)' : closingNote.trim(), '')
  return out.join('\n')
}

/** Everything after this line in results.md is kept across runs (the hand-written closing note). */
export const CLOSING_MARK = '<!-- closing note: kept by bench/run.ts across runs -->'

export function extractClosingNote(previous: string): string {
  const at = previous.indexOf(CLOSING_MARK)
  return at < 0 ? '' : previous.slice(at + CLOSING_MARK.length)
}
