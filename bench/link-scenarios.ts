// Scenarios with a cut cloud link: the backlog drain and the memory bound with 1M queued. The
// service reaches the broker through a TCP proxy (test/helpers/tcp-proxy.ts, in the bench process)
// that can reset the link and refuse new connections, then forward again.
import { startTcpProxy } from '../test/helpers/tcp-proxy.js'
import { waitFor } from '../test/helpers/wait.js'
import { measure } from './measure.js'
import type { RunResult } from './measure.js'
import { nowMs } from './payload.js'
import { cpuSeconds, peakRssMiB } from './proc.js'
import { startReader } from './reader.js'
import { throughput } from './stats.js'
import { READ_FILTER, describeSystem, startSystem } from './systems.js'
import type { BenchEnv, Load, StoreKind, SystemSpec } from './systems.js'

async function queued(health: (() => Promise<Record<string, unknown>>) | undefined): Promise<number> {
  const body = await health?.()
  return typeof body?.queued === 'number' ? body.queued : -1
}

/**
 * Backlog drain: the link is cut, `count` messages arrive and wait in the store, the link comes
 * back. The drain rate is counted from the first delivery after the restore to the last, so the
 * reconnect backoff (reported apart) does not count against it. The reference is a burst of the
 * same size through the same proxy with the link up.
 */
export async function drainScenario(env: BenchEnv, base: Extract<SystemSpec, { kind: 'service' }>, count: number, timeoutMs: number, delayMs = 0): Promise<RunResult[]> {
  const proxy = await startTcpProxy(env.broker.port, { delayMs })
  try {
    const spec: SystemSpec = { ...base, mqttPort: proxy.port }
    const qos = spec.qos
    const load: Load = { count, rate: 0, size: 100 }
    const link = delayMs > 0 ? `, ${2 * delayMs} ms link` : ''
    const reference = await measure(env, `drain ${count / 1000}k q${qos}${link}`, spec, load, timeoutMs)
    reference.system = `${describeSystem(spec)}, link up (ref)`

    const started = performance.now()
    const system = await startSystem(env, spec)
    const reader = await startReader({ kind: env.reader, broker: env.broker, topic: READ_FILTER, qos, count, timeoutMs, dir: env.dir })
    try {
      proxy.cut()
      await waitFor(async () => (await system.health?.())?.mqtt === 'disconnected', { timeoutMs: 10_000, what: 'the service to see the cut' })
      const sent = await system.send(load, timeoutMs)
      await waitFor(async () => (await queued(system.health)) >= count, { timeoutMs, intervalMs: 100, what: `${count} messages queued` })
      const cpu0 = cpuSeconds(system.pid)
      const restoredAt = nowMs()
      proxy.restore()
      const delivery = await reader.done()
      const drainPerS = delivery.lastReceivedMs > delivery.firstReceivedMs
        ? (delivery.received * 1000) / (delivery.lastReceivedMs - delivery.firstReceivedMs)
        : Number.NaN
      const cpu1 = cpuSeconds(system.pid)
      const drain: RunResult = {
        scenario: reference.scenario,
        system: `${describeSystem(spec)}, backlog drain`,
        spec,
        load,
        sent,
        delivery,
        throughputPerS: drainPerS,
        peakRssMiB: peakRssMiB(system.pid),
        cpuS: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
        brokerCpuS: undefined,
        natsCpuS: undefined,
        wallS: (performance.now() - started) / 1000,
        extra: {
          reconnectWaitS: (delivery.firstReceivedMs - restoredAt) / 1000,
          drainVsBurst: drainPerS / reference.throughputPerS,
          endToEndPerS: throughput(delivery),
        },
        ...(delivery.received < count ? { note: `only ${delivery.received} of ${count} arrived` } : {}),
      }
      return [reference, drain]
    } finally {
      await reader.close()
      await system.stop()
    }
  } finally {
    await proxy.stop()
  }
}

/**
 * Memory bound: with the link cut, `count` messages are published (paced, so that nats-server's
 * 64 MB per-client buffer never overflows) and must all be queued; the figure is the service's
 * peak RSS. The queue is not drained: the service is stopped with it on disk.
 */
export async function queuedRssScenario(env: BenchEnv, store: StoreKind, count: number, rate: number, timeoutMs: number, maxInflight?: number): Promise<RunResult> {
  const proxy = await startTcpProxy(env.broker.port)
  try {
    const spec: SystemSpec = { kind: 'service', qos: 1, store, mqttPort: proxy.port, ...(maxInflight !== undefined ? { maxInflight } : {}) }
    const started = performance.now()
    const system = await startSystem(env, spec)
    try {
      proxy.cut()
      await waitFor(async () => (await system.health?.())?.mqtt === 'disconnected', { timeoutMs: 10_000, what: 'the service to see the cut' })
      const rssBefore = peakRssMiB(system.pid)
      const sent = await system.send({ count, rate, size: 100 }, timeoutMs)
      const stored = await waitFor(async () => {
        const q = await queued(system.health)
        return q >= count && q
      }, { timeoutMs, intervalMs: 250, what: `${count} messages queued` }).catch(async () => queued(system.health))
      const queuedAt = nowMs()
      return {
        scenario: `${count / 1e6 >= 1 ? `${count / 1e6}M` : `${count / 1000}k`} queued, link down`,
        system: describeSystem(spec),
        spec,
        load: { count, rate, size: 100 },
        sent,
        delivery: { received: 0, distinct: 0, firstSentMs: sent.firstMs, firstReceivedMs: Number.NaN, lastReceivedMs: Number.NaN, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN },
        throughputPerS: Number.NaN,
        peakRssMiB: peakRssMiB(system.pid),
        cpuS: cpuSeconds(system.pid),
        brokerCpuS: undefined,
        natsCpuS: undefined,
        wallS: (performance.now() - started) / 1000,
        extra: { queued: stored, ingestPerS: (stored * 1000) / (queuedAt - sent.firstMs), rssBeforeMiB: rssBefore ?? Number.NaN },
        ...(stored < count ? { note: `only ${stored} of ${count} queued` } : {}),
      }
    } finally {
      await system.stop()
    }
  } finally {
    await proxy.stop()
  }
}
