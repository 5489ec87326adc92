// The uplink group: the service with the configuration users have, against the plain pipe, both
// through an in-process TCP proxy that delays each direction by half the round trip (keeping byte
// order, no bandwidth limit) at the round trips of DSL, 4G and satellite links. Also QoS 2 over
// MQTT 3.1.1 against a broker that takes 20 in flight, and a backlog drained over the 100 ms link.
import { startMosquitto } from '../test/helpers/mosquitto.js'
import { startTcpProxy } from '../test/helpers/tcp-proxy.js'
import type { TcpProxy } from '../test/helpers/tcp-proxy.js'
import { drainScenario } from './link-scenarios.js'
import type { RunResult } from './measure.js'
import { summary } from './measure.js'
import type { Plan } from './plan.js'
import { runTimeoutMs } from './plan.js'
import { findPid, peakRssMiB } from './proc.js'
import { startReader } from './reader.js'
import { throughput } from './stats.js'
import { READ_FILTER, describeSystem, startSystem } from './systems.js'
import type { Section } from './report.js'
import type { BenchEnv, Load, Qos, SystemSpec } from './systems.js'
import { metricValue } from '../test/helpers/service-metrics.js'

export type UplinkRunFn = (scenario: string, spec: SystemSpec, count: number, rate: number, env?: BenchEnv, timeoutMs?: number) => Promise<RunResult | undefined>
export type Repeat = (reps: number, thunks: Array<() => Promise<RunResult | undefined>>, always?: boolean) => Promise<RunResult[]>

/** The scenario name of a burst over the uplink: rows of one scenario and QoS are compared. */
export function uplinkScenario(rttMs: number, count: number): string {
  return `uplink ${rttMs} ms, burst ${count / 1000}k`
}

/** QoS 2 over MQTT 3.1.1 against a broker taking 20 in flight: the scenario name. */
export function limit20Scenario(rttMs: number): string {
  return `uplink ${rttMs} ms, QoS 2 over 3.1.1, broker max 20 in flight`
}

export async function uplink(env: BenchEnv, plan: Plan, run: UplinkRunFn, repeated: Repeat, log: (line: string) => void): Promise<Section[]> {
  const tuned = plan.maxInflight !== undefined ? { maxInflight: plan.maxInflight } : {}
  const proxies: TcpProxy[] = []
  const sections: Section[] = []
  try {
    // Bursts: plain pipe and service over the same proxy, alternating, median of `reps`.
    const thunks: Array<() => Promise<RunResult | undefined>> = []
    for (const rtt of plan.uplinkRtts) {
      const proxy = await startTcpProxy(env.broker.port, { delayMs: rtt / 2 })
      proxies.push(proxy)
      for (const qos of plan.uplinkQos) {
        const count = plan.uplinkCount[qos]
        // QoS 2 over MQTT 5 (the broker says its Receive Maximum); QoS 0 and 1 over 3.1.1, as users run.
        const v5 = qos === 2 ? { protocolVersion: 5 as const } : {}
        const specs: SystemSpec[] = [
          { kind: 'plain', qos, mqttPort: proxy.port, ...v5 },
          { kind: 'service', qos, store: 'file', mqttPort: proxy.port, ...v5, ...tuned },
        ]
        for (const spec of specs) thunks.push(() => run(uplinkScenario(rtt, count), spec, count, 0, env, runTimeoutMs(count) + 60 * rtt))
      }
    }
    const bursts = await repeated(plan.reps, thunks, true)
    sections.push({
      id: 'uplink',
      title: `Uplink: bursts through a proxy adding ${plan.uplinkRtts.join(', ')} ms of round trip`,
      about:
        'A TCP proxy in the bench process delays each direction by half the round trip, keeping byte order, with no bandwidth limit; the service and the plain pipe reach Mosquitto through it, the reader (mosquitto_sub) directly. ' +
        `The service runs the ${plan.maxInflight === undefined ? 'default configuration: route `workers = 10` (as every Go service file), file store, `max_inflight` unset (auto)' : `TUNED configuration max_inflight = ${plan.maxInflight}`}; QoS 2 rows use MQTT 5 for both (the plain pipe with no bound on messages in flight, so its QoS 2 bursts stay below 65,535 messages). ` +
        `Runs alternate, median of ${plan.reps}. msg/s: first publish to last delivery, so the first round trip counts for both.`,
      runs: bursts,
    })

    // QoS 2 over 3.1.1 against a stock limit of 20 in flight: 20 per round trip is the ceiling.
    const limited = await startMosquitto({ extraConfig: 'log_type subscribe\nmax_inflight_messages 20' })
    try {
      const limitedEnv: BenchEnv = { ...env, broker: limited, brokerPid: findPid(limited.configPath) ?? -1 }
      const runs: RunResult[] = []
      for (const rtt of plan.uplinkRtts) {
        const proxy = await startTcpProxy(limited.port, { delayMs: rtt / 2 })
        try {
          const ceilingPerS = (20 * 1000) / rtt
          const count = Math.max(200, Math.round(ceilingPerS * plan.limit20Seconds))
          const r = await run(limit20Scenario(rtt), { kind: 'service', qos: 2, store: 'file', mqttPort: proxy.port, ...tuned }, count, 0, limitedEnv, runTimeoutMs(count) + (count / ceilingPerS) * 2000)
          if (r) runs.push({ ...r, extra: { ...r.extra, ceilingPerS, vsCeiling: r.throughputPerS / ceilingPerS } })
        } finally {
          await proxy.stop()
        }
      }
      sections.push({
        id: 'uplink-limit20',
        title: 'Uplink: QoS 2 over MQTT 3.1.1 against a broker that takes 20 in flight',
        about:
          'A second Mosquitto with its stock `max_inflight_messages 20`, through the same kind of proxy. MQTT 3.1.1 gives the client no way to learn that limit, and the broker stops answering a client with more: the service keeps 20 in flight (auto). The ceiling is 20 messages per round trip; "vs ceiling" is the measured rate against it.',
        runs,
      })
    } finally {
      await limited.close()
    }

    // Memory while a 600 ms link carries a full window: a paced stream faster than the window
    // carries, so that the window stays full and a backlog builds in the store.
    try {
      const r = await fullWindowRss(env, plan, 600)
      log(`${r.scenario}: peak RSS ${r.peakRssMiB?.toFixed(0)} MiB, in flight up to ${r.extra?.maxInFlight}, window ${r.extra?.windowAtEnd}, full in ${Math.round((r.extra?.fullShare ?? 0) * 100)} % of samples`)
      sections.push({
        id: 'uplink-rss',
        title: 'Uplink: memory while a 600 ms link carries a full window',
        about: `QoS 1, ${plan.maxInflight === undefined ? 'default configuration' : 'TUNED'}: a stream paced at ${plan.fullWindowRate.toLocaleString('en-US')} msg/s for ${plan.fullWindowSeconds} s, faster than the window carries over the link, so the window stays full and a backlog builds in the file store. /metrics is sampled every 500 ms; "full" counts samples with at least 90 % of the window in flight. Peak RSS is VmHWM of the service.`,
        runs: [r],
      })
    } catch (err: unknown) {
      log(`uplink full-window RSS FAILED: ${err instanceof Error ? err.message : String(err)}`)
    }

    // A backlog queued during a cut, drained over the 100 ms link (file store, QoS 1).
    try {
      const count = plan.uplinkDrainCount
      const [ref, drain] = await drainScenario(env, { kind: 'service', qos: 1, store: 'file', ...tuned }, count, runTimeoutMs(count) * 2, plan.uplinkDrainRtt / 2)
      log(summary(ref!))
      log(`${summary(drain!)}  reconnect wait ${drain!.extra?.reconnectWaitS?.toFixed(1)} s`)
      const pipe = bursts.find((r) => r.scenario === uplinkScenario(plan.uplinkDrainRtt, plan.uplinkCount[1]) && r.spec.kind === 'plain' && r.spec.qos === 1)
      const vsPipe = pipe === undefined ? Number.NaN : drain!.throughputPerS / pipe.throughputPerS
      sections.push({
        id: 'uplink-drain',
        title: `Uplink: a backlog of ${count / 1000}k queued during a cut, drained over the ${plan.uplinkDrainRtt} ms link`,
        about: `The proxy resets the link and refuses connections while ${count.toLocaleString('en-US')} messages are published and queued (file store, QoS 1), then forwards again with ${plan.uplinkDrainRtt / 2} ms each way. msg/s from the first delivery after the restore to the last (the reconnect backoff is shown apart). "drain / burst" compares with a burst of the same size through the same link, link up; the target compares with the plain pipe's burst over that link in the uplink table${pipe === undefined ? ' (not measured in this run)' : ` (${Math.round(pipe.throughputPerS).toLocaleString('en-US')} msg/s): ${Math.round(vsPipe * 100)} %`}.`,
        runs: [ref!, { ...drain!, extra: { ...drain!.extra, vsPipe } }],
      })
    } catch (err: unknown) {
      log(`uplink drain FAILED: ${err instanceof Error ? err.message : String(err)}`)
    }
  } finally {
    for (const proxy of proxies) await proxy.stop()
  }
  return sections
}

/** The run of `kind` in an uplink scenario and QoS. */
export function uplinkRun(runs: readonly RunResult[], rttMs: number, qos: Qos, count: number, kind: 'service' | 'plain'): RunResult | undefined {
  return runs.find((r) => r.scenario === uplinkScenario(rttMs, count) && r.spec.qos === qos && r.spec.kind === kind)
}

/** A paced stream through a `rttMs` link, with the service's window sampled: peak RSS with a full window. */
async function fullWindowRss(env: BenchEnv, plan: Plan, rttMs: number): Promise<RunResult> {
  const proxy = await startTcpProxy(env.broker.port, { delayMs: rttMs / 2 })
  const tuned = plan.maxInflight !== undefined ? { maxInflight: plan.maxInflight } : {}
  const spec: SystemSpec = { kind: 'service', qos: 1, store: 'file', mqttPort: proxy.port, ...tuned }
  const load: Load = { count: plan.fullWindowRate * plan.fullWindowSeconds, rate: plan.fullWindowRate, size: plan.size }
  const timeoutMs = runTimeoutMs(load.count) + plan.fullWindowSeconds * 4000
  const started = performance.now()
  const system = await startSystem(env, spec)
  try {
    const reader = await startReader({ kind: env.reader, broker: env.broker, topic: READ_FILTER, qos: 1, count: load.count, timeoutMs, dir: env.dir })
    let stop = false
    let maxInFlight = 0
    let full = 0
    let samples = 0
    let windowAtEnd = 0
    const sampler = (async () => {
      while (!stop) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        const text = await system.metrics?.().catch(() => '')
        const window = metricValue(text ?? '', 'export_mqtt_inflight_window') ?? 0
        const inFlight = metricValue(text ?? '', 'export_messages_in_flight', { route: 'bench' }) ?? 0
        const queued = metricValue(text ?? '', 'export_queue_messages', { route: 'bench' }) ?? 0
        if (queued === 0 && samples > 0) continue // drained: the window is no longer what limits
        samples++
        maxInFlight = Math.max(maxInFlight, inFlight)
        if (window > 0 && inFlight >= 0.9 * window) full++
        windowAtEnd = window
      }
    })()
    try {
      const sent = await system.send(load, timeoutMs)
      const delivery = await reader.done()
      stop = true
      await sampler
      return {
        scenario: `${rttMs} ms link, paced ${plan.fullWindowRate / 1000}k/s, full window`,
        system: describeSystem(spec),
        spec,
        load,
        sent,
        delivery,
        throughputPerS: throughput(delivery),
        peakRssMiB: peakRssMiB(system.pid),
        cpuS: undefined,
        brokerCpuS: undefined,
        natsCpuS: undefined,
        wallS: (performance.now() - started) / 1000,
        extra: { maxInFlight, windowAtEnd, fullShare: samples === 0 ? 0 : full / samples },
        ...(delivery.received < load.count ? { note: `only ${delivery.received} of ${load.count} arrived` } : {}),
      }
    } finally {
      stop = true
      await reader.close()
    }
  } finally {
    await system.stop()
    await proxy.stop()
  }
}
