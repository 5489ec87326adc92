// `npm run bench [-- --quick] [--max-inflight N] [--reps N] [--reader mosquitto_sub|node] [--only a,b] [--out DIR]`
//
// Starts its own nats-server and Mosquitto on free loopback ports, runs the built service as a
// separate process with the configuration users have, and measures it beside two baselines on the
// same brokers, on the loopback and through a proxy that delays each direction like a WAN uplink:
// the plain NATS→MQTT pipe (bench/plain-pipe.ts) and `mosquitto_pub -l`. Writes results.md, results.png and the raw
// figures (out/results.json). See bench/README.md.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startMosquitto } from '../test/helpers/mosquitto.js'
import { startNats } from '../test/helpers/nats-server.js'
import { Teardown } from '../test/helpers/teardown.js'
import { chartSvg, renderPng } from './chart.js'
import { drainScenario, queuedRssScenario } from './link-scenarios.js'
import { measure, summary } from './measure.js'
import type { RunResult } from './measure.js'
import { GROUPS, makePlan, runTimeoutMs } from './plan.js'
import type { Group, Mode, Plan } from './plan.js'
import { findPid } from './proc.js'
import { renderSummary, summariseFile } from './profile.js'
import type { ReaderKind } from './reader.js'
import { extractClosingNote, renderResults } from './report.js'
import type { RunInfo, Section } from './report.js'
import { buildPanels } from './results-chart.js'
import type { BenchEnv, Qos, SystemSpec } from './systems.js'
import { evaluateTargets } from './targets.js'
import { uplink } from './uplink.js'

const here = dirname(fileURLToPath(import.meta.url))
/** A burst slower than this is not repeated (see `repeated`). */
const SLOW_PER_S = 5000
const repoRoot = resolve(here, '..', '..')

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'max-inflight': { type: 'string' },
    reps: { type: 'string' },
    reader: { type: 'string', default: 'mosquitto_sub' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
})
const mode: Mode = opts.quick === true ? 'quick' : 'full'
const only = opts.only?.split(',').map((g) => {
  if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--only: unknown group "${g}" (${GROUPS.join(', ')})`)
  return g as Group
})
const plan: Plan = makePlan(mode, opts['max-inflight'] === undefined ? undefined : Number(opts['max-inflight']), only)
if (opts.reps !== undefined) plan.reps = Number(opts.reps)
const readerKind = opts.reader as ReaderKind
if (readerKind !== 'mosquitto_sub' && readerKind !== 'node') throw new Error('--reader: mosquitto_sub or node')
// A quick run must never overwrite the full run's results.md.
const outDir = resolve(opts.out ?? (mode === 'full' && only === undefined ? join(repoRoot, 'bench') : join(repoRoot, 'bench', 'out', mode)))
const rawDir = join(repoRoot, 'bench', 'out')

const teardown = new Teardown()
let interrupted = false
process.once('SIGINT', () => {
  interrupted = true
  process.stderr.write('\ninterrupted: stopping brokers and processes\n')
  void teardown.run().finally(() => process.exit(130))
})

const startedAt = new Date()
const t0 = performance.now()
const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ')
const log = (line: string): void => {
  process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}\n`)
}

try {
  await mkdir(rawDir, { recursive: true })
  await mkdir(outDir, { recursive: true })
  const dir = await mkdtemp(join(tmpdir(), 'mfx-bench-'))
  teardown.add(() => rm(dir, { recursive: true, force: true }), 'scratch dir')
  const nats = teardown.use(await startNats(), 'nats-server')
  // log_type subscribe: the reader waits for the broker's log line of its subscription.
  const broker = teardown.use(await startMosquitto({ extraConfig: 'log_type subscribe' }), 'mosquitto')
  const env: BenchEnv = {
    nats, broker, dir, reader: readerKind,
    brokerPid: findPid(broker.configPath) ?? -1,
    natsPid: findPid(`-p ${nats.port} `) ?? -1,
  }
  log(`${mode} run: groups ${[...plan.groups].join(', ')}; service ${configuration()}; reps ${plan.reps}; reader ${readerKind}; nats ${nats.url}, mosquitto ${broker.url}`)

  const sections: Section[] = []
  let appendix = ''
  const run = async (scenario: string, spec: SystemSpec, count: number, rate: number, e: BenchEnv = env, timeoutMs = runTimeoutMs(count)): Promise<RunResult | undefined> => {
    if (interrupted) return undefined
    try {
      const r = await measure(e, scenario, spec, { count, rate, size: plan.size }, timeoutMs)
      log(summary(r))
      return r
    } catch (err: unknown) {
      log(`${scenario} ${JSON.stringify(spec)} FAILED: ${err instanceof Error ? err.message : String(err)}`)
      return undefined
    }
  }
  const k = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1000}k`)
  const tuned = plan.maxInflight !== undefined ? { maxInflight: plan.maxInflight } : {}
  const services = (qos: Qos): SystemSpec[] => plan.stores.map((store) => ({ kind: 'service', qos, store, ...tuned }))
  const baselines = (qos: Qos): SystemSpec[] => [{ kind: 'plain', qos }, { kind: 'mosquitto_pub', qos }]

  if (plan.groups.has('burst')) {
    const scenario = `burst ${k(plan.burstCount)}`
    const runs = await repeated(plan.reps, plan.burstQos.flatMap((q) => [...baselines(q), ...services(q)].map((spec) => () => run(scenario, spec, plan.burstCount, 0))))
    sections.push({
      id: 'burst',
      title: `Burst: ${plan.burstCount.toLocaleString('en-US')} messages of ${plan.size} B`,
      about: 'Published on NATS as fast as the client can (in slices of 5,000 with a flush), or fed to `mosquitto_pub -l` as fast as it reads. msg/s: from the first publish to the last delivery at the reader. Latency includes the time a message waits behind the burst.',
      runs,
    })
  }
  if (plan.groups.has('uplink')) {
    for (const section of await uplink(env, plan, run, repeated, log)) sections.push(section)
  }
  if (plan.groups.has('inflight')) {
    const scenario = `burst ${k(plan.burstCount)}, max_inflight sweep`
    // Tuned rows: users run auto. At QoS 2 the unbounded plain pipe is in the burst table already
    // (and takes minutes); here the plain pipe gets the same bound as the service instead.
    const specs = plan.sweepQos.flatMap((q): SystemSpec[] => [
      ...(q === 2 ? [] : [{ kind: 'plain', qos: q } as const]),
      { kind: 'service', qos: q, store: 'file' },
      ...plan.inflightSweep.map((w): SystemSpec => ({ kind: 'service', qos: q, store: 'file', maxInflight: w })),
      ...(q === 2 ? plan.inflightSweep.map((w): SystemSpec => ({ kind: 'plain', qos: q, maxInFlight: w })) : []),
    ])
    const runs = await repeated(plan.reps, specs.map((spec) => () => run(scenario, spec, plan.burstCount, 0)))
    sections.push({
      id: 'inflight',
      title: 'How loopback throughput depends on the in-flight window (tuned rows)',
      about: `The service with the file store, \`[mqtt] max_inflight\` = auto (the default) and, **tuned**, ${plan.inflightSweep.join(', ')}. At QoS 2, instead of the unbounded plain pipe (see the burst table), the plain pipe with the same bound added (a counter and an array, see bench/plain-pipe.ts). "in flight" ∞: the plain pipe as is.`,
      runs,
    })
  }
  if (plan.groups.has('paced')) {
    const runs: RunResult[] = []
    for (const rate of plan.pacedRates) {
      for (const q of plan.pacedQos) {
        const specs: SystemSpec[] = [
          ...(plan.pacedBaselines ? baselines(q) : []),
          // Nagle's algorithm against QoS 0 (nothing comes back to carry the TCP ACK): see docs/performance.md.
          ...(plan.mode === 'full' && q === 0 ? [{ kind: 'plain', qos: q, noDelay: true } as const] : []),
          ...plan.pacedStores.map((store): SystemSpec => ({ kind: 'service', qos: q, store, ...tuned })),
        ]
        for (const spec of specs) {
          const r = await run(`paced ${k(rate)}/s`, spec, rate * plan.pacedSeconds, rate, env, 30_000 + 3000 * plan.pacedSeconds)
          if (r) runs.push(r)
        }
      }
    }
    sections.push({
      id: 'paced',
      title: `Paced load: ${plan.pacedRates.map(k).join(', ')} msg/s for ${plan.pacedSeconds} s`,
      about: `The publisher sends on an absolute schedule (checked every millisecond). Latency: publish on NATS (or write into \`mosquitto_pub\`'s stdin) to delivery at the reader, both CLOCK_REALTIME on this machine. Deadline ${30 + 3 * plan.pacedSeconds} s per run.${plan.mode === 'full' ? ' At QoS 0 also the plain pipe with Nagle off ("nodelay"), to show what Nagle costs there.' : ''}`,
      runs,
    })
  }
  if (plan.groups.has('drain')) {
    const runs: RunResult[] = []
    for (const q of plan.drainQos) {
      if (interrupted) break
      try {
        const [ref, drain] = await drainScenario(env, { kind: 'service', qos: q, store: 'file', ...tuned }, plan.drainCount, runTimeoutMs(plan.drainCount) * 2)
        log(summary(ref!))
        log(`${summary(drain!)}  reconnect wait ${drain!.extra?.reconnectWaitS?.toFixed(1)} s, drain/burst ${drain!.extra?.drainVsBurst?.toFixed(2)}`)
        runs.push(ref!, drain!)
      } catch (err: unknown) {
        log(`drain q${q} FAILED: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
    sections.push({
      id: 'drain',
      title: `Backlog drain: ${k(plan.drainCount)} messages queued while the link is cut`,
      about: 'The service reaches Mosquitto through a TCP proxy. Reference: a burst of the same size through the proxy, link up. Drain: the proxy resets the link, the messages are published and queued (file store), the link is restored; msg/s from the first delivery after the restore to the last, so the reconnect backoff (shown apart) is not counted.',
      runs,
    })
  }
  if (plan.groups.has('rss') && !interrupted) {
    try {
      const r = await queuedRssScenario(env, 'file', plan.rssCount, plan.rssRate, Math.max(120_000, (plan.rssCount / plan.rssRate) * 4000), plan.maxInflight)
      log(`${r.scenario}: queued ${r.extra?.queued}, peak RSS ${r.peakRssMiB?.toFixed(0)} MiB, ingest ${Math.round(r.extra?.ingestPerS ?? 0)} msg/s`)
      sections.push({
        id: 'rss',
        title: `Memory with ${k(plan.rssCount)} messages queued (file store, link down)`,
        about: `With the link cut, ${plan.rssCount.toLocaleString('en-US')} messages are published at ${k(plan.rssRate)} msg/s (paced so that nats-server's per-client buffer never overflows) until /health reports them all queued. Peak RSS is VmHWM of the service process.`,
        runs: [r],
      })
    } catch (err: unknown) {
      log(`rss FAILED: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  if (plan.groups.has('readers')) {
    const runs: RunResult[] = []
    for (const q of plan.burstQos) {
      for (const kind of ['mosquitto_sub', 'node'] as const) {
        const r = await run('burst, reader check', { kind: 'mosquitto_pub', qos: q }, plan.burstCount, 0, { ...env, reader: kind })
        if (r) runs.push({ ...r, system: `mosquitto_pub -l → ${kind} reader` })
      }
    }
    sections.push({
      id: 'readers',
      title: 'Reader check: mosquitto_sub (separate C process) against mqtt.js in the bench process',
      about: 'The same `mosquitto_pub -l` burst read by each reader: if the reader were the bottleneck, the two would differ.',
      runs,
    })
  }
  if (plan.groups.has('profile') && !interrupted) {
    appendix = await profiles(env, plan, run, log)
  }

  const durationS = (performance.now() - t0) / 1000
  const info: RunInfo = {
    command: `npm run bench${process.argv.slice(2).length > 0 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    startedAt: startedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    durationS,
    mode,
    reps: plan.reps,
    configuration: configuration(),
    reader: readerKind === 'mosquitto_sub' ? '`mosquitto_sub -F \'%U %p\'` (separate process)' : 'mqtt.js in the bench process',
    machine: machine(),
    loadBefore,
    loadAfter: loadavg().map((l) => l.toFixed(2)).join(' '),
    commit: commit(),
  }
  const targets = evaluateTargets(plan, sections)
  const resultsPath = join(outDir, 'results.md')
  const previous = existsSync(resultsPath) ? await readFile(resultsPath, 'utf8') : ''
  await writeFile(resultsPath, renderResults(info, targets, sections, appendix, extractClosingNote(previous)))
  await writeFile(join(rawDir, `results-${mode}.json`), JSON.stringify({ info, plan: { ...plan, groups: [...plan.groups] }, targets, sections }, null, 1))
  const panels = buildPanels(sections, plan)
  if (panels.length > 0) {
    try {
      await renderPng(chartSvg(panels, `mainflux-export bench, ${mode} mode, ${info.startedAt}, ${configuration()}, ${info.machine}`), join(outDir, 'results.png'))
    } catch (err: unknown) {
      log(`chart not rendered: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  for (const t of targets) log(`target: ${t.target}: ${t.measured} → ${t.met === undefined ? 'not measured' : t.met ? 'met' : 'NOT MET'}`)
  log(`wrote ${resultsPath}${panels.length > 0 ? ` and results.png` : ''} in ${Math.round(durationS)} s`)
} finally {
  await teardown.run()
}

/** What the service rows run with, for the report. */
function configuration(): string {
  return plan.maxInflight === undefined
    ? 'default configuration (route workers = 10, file store, max_inflight auto)'
    : `TUNED: max_inflight = ${plan.maxInflight} (route workers = 10, file store)`
}

/**
 * Runs every thunk `reps` times, interleaved (all once, then all again), and keeps the median run of
 * each. Unless `always`, a run that failed or crawled is not repeated (see below).
 */
async function repeated(reps: number, thunks: Array<() => Promise<RunResult | undefined>>, always = false): Promise<RunResult[]> {
  const all: Array<RunResult[]> = thunks.map(() => [])
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, thunk] of thunks.entries()) {
      // A run that failed, timed out or crawled (the unbounded plain pipe at QoS 2) is in another
      // regime: repeating it would only cost minutes.
      const first = all[i]![0]
      if (rep > 0 && (first === undefined || first.note !== undefined || (!always && first.throughputPerS < SLOW_PER_S))) continue
      const r = await thunk()
      if (r) all[i]!.push(r)
    }
  }
  return all.flatMap((runs) => {
    if (runs.length === 0) return []
    const sorted = [...runs].sort((a, b) => (a.throughputPerS || 0) - (b.throughputPerS || 0))
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!
    return [runs.length > 1 ? { ...median, extra: { ...median.extra, runs: runs.length, minPerS: sorted[0]!.throughputPerS, maxPerS: sorted[sorted.length - 1]!.throughputPerS } } : median]
  })
}

type RunFn = (scenario: string, spec: SystemSpec, count: number, rate: number) => Promise<RunResult | undefined>

/** CPU profiles of the service and the plain pipe under a burst; their summaries for results.md. */
async function profiles(env: BenchEnv, plan: Plan, run: RunFn, say: (l: string) => void): Promise<string> {
  const base = join(rawDir, 'profiles')
  await rm(base, { recursive: true, force: true })
  const cases: Array<{ name: string; spec: SystemSpec; count: number }> = [
    { name: 'service-file-q2', spec: { kind: 'service', qos: 2, store: 'file' }, count: plan.profileCount },
    { name: 'service-file-q1', spec: { kind: 'service', qos: 1, store: 'file' }, count: plan.profileCount },
    { name: 'service-file-q0', spec: { kind: 'service', qos: 0, store: 'file' }, count: plan.profileCount },
    { name: 'plain-pipe-q2', spec: { kind: 'plain', qos: 2 }, count: Math.min(30_000, plan.profileCount) },
    { name: 'plain-pipe-q2-max100', spec: { kind: 'plain', qos: 2, maxInFlight: 100 }, count: plan.profileCount },
  ]
  const parts = ['## Appendix: CPU profiles', '', 'Separate runs with `node --cpu-prof --cpu-prof-interval=500` on the process under test (not counted in the tables above); raw profiles in bench/out/profiles/. Self time, from `node dist/bench/profile.js FILE`.', '']
  for (const c of cases) {
    const dir = join(base, c.name)
    const spec = { ...c.spec, cpuProfileDir: dir } as SystemSpec
    const r = await run(`profile ${c.name}`, spec, c.count, 0)
    const files = existsSync(dir) ? (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')) : []
    if (!r || files.length === 0) {
      say(`profile ${c.name}: no profile`)
      continue
    }
    const s = await summariseFile(join(dir, files[0]!), 15)
    parts.push(renderSummary(`${c.name}: ${c.count.toLocaleString('en-US')} messages, ${Math.round(r.throughputPerS).toLocaleString('en-US')} msg/s under the profiler; CPU ${r.cpuS?.toFixed(1)} s, mosquitto ${r.brokerCpuS?.toFixed(1)} s`, s))
  }
  return parts.join('\n')
}

function machine(): string {
  const version = (cmd: string, args: string[], re: RegExp): string => {
    try {
      const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      return re.exec(out)?.[1] ?? '?'
    } catch (err: unknown) {
      // mosquitto -h exits non-zero after printing its usage.
      const out = (err as { stdout?: unknown }).stdout
      return (typeof out === 'string' ? re.exec(out)?.[1] : undefined) ?? '?'
    }
  }
  const cpu = cpus()
  return [
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}`,
    `Node ${process.version}`,
    `mosquitto ${version('/usr/sbin/mosquitto', ['-h'], /mosquitto version (\S+)/)}`,
    `nats-server ${version('/usr/sbin/nats-server', ['--version'], /: v(\S+)/)}`,
  ].join(', ')
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== ''
    return dirty ? `${head} (src/ modified)` : head
  } catch {
    return 'unknown'
  }
}
