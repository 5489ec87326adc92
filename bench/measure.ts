// One measured run: start a system, subscribe the reader, send the load, collect the figures.
import { startReader } from './reader.js'
import { cpuSeconds, peakRssMiB } from './proc.js'
import { throughput } from './stats.js'
import type { Delivery } from './stats.js'
import { READ_FILTER, describeSystem, startSystem } from './systems.js'
import type { BenchEnv, Load, RunningSystem, Sent, SystemSpec } from './systems.js'

/** The figures of one run, as they go into results.md. */
export interface RunResult {
  scenario: string
  system: string
  spec: SystemSpec
  load: Load
  sent: Sent
  delivery: Delivery
  /** Messages a second received, first publish to last delivery. */
  throughputPerS: number
  /** Peak RSS (VmHWM) of the process under test, MiB. */
  peakRssMiB: number | undefined
  /** CPU seconds the process under test used during the run. */
  cpuS: number | undefined
  /** CPU seconds of the MQTT broker and of nats-server during the run. */
  brokerCpuS: number | undefined
  natsCpuS: number | undefined
  wallS: number
  /** Scenario-specific figures (drain rate, reconnect wait, ingest rate, …). */
  extra?: Record<string, number>
  note?: string
}

/** Runs the load through a freshly started system and stops it again, also on failure. */
export async function measure(env: BenchEnv, scenario: string, spec: SystemSpec, load: Load, timeoutMs: number): Promise<RunResult> {
  const started = performance.now()
  const system = await startSystem(env, spec)
  try {
    return await measureOn(env, system, scenario, spec, load, timeoutMs, started)
  } finally {
    await system.stop()
  }
}

async function measureOn(
  env: BenchEnv,
  system: RunningSystem,
  scenario: string,
  spec: SystemSpec,
  load: Load,
  timeoutMs: number,
  started: number,
): Promise<RunResult> {
  const reader = await startReader({ kind: env.reader, broker: env.broker, topic: READ_FILTER, qos: spec.qos, count: load.count, timeoutMs, dir: env.dir })
  try {
    const cpu = (): Array<number | undefined> => [cpuSeconds(system.pid), cpuSeconds(env.brokerPid), cpuSeconds(env.natsPid)]
    const cpu0 = cpu()
    const sent = await system.send(load, timeoutMs)
    const delivery = await reader.done()
    const cpu1 = cpu()
    const used = (i: number): number | undefined => (cpu0[i] !== undefined && cpu1[i] !== undefined ? cpu1[i] - cpu0[i] : undefined)
    return {
      scenario,
      system: describeSystem(spec),
      spec,
      load,
      sent,
      delivery,
      throughputPerS: throughput(delivery),
      peakRssMiB: peakRssMiB(system.pid),
      cpuS: used(0),
      brokerCpuS: used(1),
      natsCpuS: used(2),
      wallS: (performance.now() - started) / 1000,
      ...(delivery.received < load.count ? { note: `only ${delivery.received} of ${load.count} arrived` } : {}),
    }
  } finally {
    await reader.close()
  }
}

/** One line for the console while the bench runs. */
export function summary(r: RunResult): string {
  const k = (n: number): string => (Number.isFinite(n) ? (n < 10_000 ? n.toFixed(0) : `${(n / 1000).toFixed(1)}k`) : "–")
  const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 0) : '–')
  return `${r.scenario.padEnd(28)} ${r.system.padEnd(20)} q${r.spec.qos}  ${k(r.throughputPerS).padStart(6)} msg/s  p50 ${ms(r.delivery.p50Ms)} ms  p99 ${ms(r.delivery.p99Ms)} ms  rss ${r.peakRssMiB?.toFixed(0) ?? '–'} MiB  cpu ${r.cpuS?.toFixed(1) ?? '–'}/${r.brokerCpuS?.toFixed(1) ?? '–'}/${r.natsCpuS?.toFixed(1) ?? '–'} s  ${r.delivery.received}/${r.load.count}${r.note !== undefined ? `  (${r.note})` : ''}`
}
