// The three things the bench measures on the same brokers: the service (built, as its own
// process), the plain NATS→MQTT pipe (bench/plain-pipe.ts) and `mosquitto_pub -l`.
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireBinary } from '../test/helpers/binaries.js'
import { bridgeConfigToml } from '../test/helpers/bridge-config.js'
import { killOnExit } from '../test/helpers/daemon.js'
import { freePort } from '../test/helpers/free-port.js'
import type { Mosquitto } from '../test/helpers/mosquitto.js'
import type { NatsServer } from '../test/helpers/nats-server.js'
import { startService } from '../test/helpers/service-process.js'
import type { ServiceProcess } from '../test/helpers/service-process.js'
import { waitFor, withDeadline } from '../test/helpers/wait.js'
import { benchPayload, nowMs } from './payload.js'
import { cpuProfileFlags, spawnNode } from './proc.js'
import type { NodeChild } from './proc.js'
import type { ReaderKind } from './reader.js'

export type Qos = 0 | 1 | 2
export type StoreKind = 'memory' | 'file'

/** Brokers and settings shared by every run of one bench invocation. */
export interface BenchEnv {
  nats: NatsServer
  broker: Mosquitto
  /** Scratch directory (stores, reader files, profiles); removed at the end. */
  dir: string
  reader: ReaderKind
  /** Pids of mosquitto and nats-server, for their CPU time. */
  brokerPid: number
  natsPid: number
}

/**
 * What runs. The service runs with the configuration users have (route `workers = 10` as every Go
 * service file has it, file store unless `store` says memory, `[mqtt] max_inflight` unset, so
 * `auto`); `maxInflight` sets it, and such a row is labelled "tuned". `protocolVersion` 5 is part
 * of a scenario (QoS 2 over MQTT 5), not a tuning. `mqttPort`: a proxy in front of the broker.
 */
export type SystemSpec =
  | { kind: 'service'; qos: Qos; store: StoreKind; maxInflight?: number; protocolVersion?: 4 | 5; mqttPort?: number; cpuProfileDir?: string }
  | { kind: 'plain'; qos: Qos; maxInFlight?: number; noDelay?: boolean; coalesce?: boolean; protocolVersion?: 4 | 5; mqttPort?: number; cpuProfileDir?: string }
  | { kind: 'mosquitto_pub'; qos: Qos; noDelay?: boolean }

/** `count` messages of `size` bytes, as fast as possible (`rate` 0) or paced to `rate` msg/s. */
export interface Load {
  count: number
  rate: number
  size: number
}

/** What the load generator did. */
export interface Sent {
  published: number
  firstMs: number
  lastMs: number
}

/** A system under test, started and ready for load. */
export interface RunningSystem {
  readonly pid: number
  send(load: Load, timeoutMs: number): Promise<Sent>
  /** The service's /health body (service only). */
  readonly health?: () => Promise<Record<string, unknown>>
  /** The service's /metrics text (service only). */
  readonly metrics?: () => Promise<string>
  stop(): Promise<void>
}

/** Subject the load is published on; the service's route is `bench` (`bench.>`). */
export const SUBJECT = 'bench.load'
const TOPIC_PREFIX = 'channels/bench/messages'
/** Where every system publishes: the service's topic mapping of SUBJECT. */
export const MQTT_TOPIC = `${TOPIC_PREFIX}/bench/load`
/** What the reader subscribes to. */
export const READ_FILTER = `${TOPIC_PREFIX}/#`

const here = dirname(fileURLToPath(import.meta.url))
let systemNo = 0

/** Whether a service row runs a setting users do not have (it is then labelled and never judged). */
export function isTuned(s: SystemSpec): boolean {
  return s.kind === 'service' && s.maxInflight !== undefined
}

export function describeSystem(s: SystemSpec): string {
  const spec = (noDelay: boolean | undefined, name: string): string => (noDelay === true ? `${name} nodelay` : name)
  const v5 = (v: 4 | 5 | undefined): string => (v === 5 ? ' MQTT 5' : '')
  switch (s.kind) {
    case 'service':
      return `service ${s.store}${s.maxInflight !== undefined ? ` max_inflight ${s.maxInflight} (tuned)` : ''}${v5(s.protocolVersion)}`
    case 'plain':
      return spec(s.noDelay, `plain pipe${s.maxInFlight !== undefined && s.maxInFlight > 0 ? ` max${s.maxInFlight}` : ''}${s.coalesce === true ? ' coalesce' : ''}${v5(s.protocolVersion)}`)
    case 'mosquitto_pub':
      return spec(s.noDelay, 'mosquitto_pub -l')
  }
}

export async function startSystem(env: BenchEnv, spec: SystemSpec): Promise<RunningSystem> {
  switch (spec.kind) {
    case 'service':
      return startBenchService(env, spec)
    case 'plain':
      return startPlainPipe(env, spec)
    case 'mosquitto_pub':
      return startMosquittoPub(env, spec)
  }
}

/** The NATS load generator (bench/publisher.ts) as its own process. */
async function publishLoad(env: BenchEnv, load: Load, timeoutMs: number): Promise<Sent> {
  const pub = spawnNode(join(here, 'publisher.js'), [env.nats.url, SUBJECT, String(load.count), String(load.rate), String(load.size), String(timeoutMs)])
  const line = await pub.waitForLine((l) => l.startsWith('{'), timeoutMs + 10_000, 'the publisher to finish')
  await pub.exited
  return JSON.parse(line) as Sent
}

async function startBenchService(
  env: BenchEnv,
  spec: Extract<SystemSpec, { kind: 'service' }>,
): Promise<RunningSystem> {
  const n = ++systemNo
  const httpPort = await freePort()
  const storePath = join(env.dir, `store-${n}`)
  if (spec.cpuProfileDir !== undefined) await mkdir(spec.cpuProfileDir, { recursive: true })
  const configText = bridgeConfigToml({
    natsUrl: env.nats.url,
    mqttUrl: `mqtt://127.0.0.1:${spec.mqttPort ?? env.broker.port}`,
    httpPort,
    qos: spec.qos,
    clientId: `bench-export-${process.pid}-${n}`,
    // Fewer log lines than info; no line per message is logged at any level above debug anyway.
    logLevel: 'warn',
    heartbeatInterval: '10s',
    // The default keep-alive (30 s), as users have it.
    keepAlive: '30s',
    mqtt: {
      ...(spec.protocolVersion !== undefined ? { protocol_version: spec.protocolVersion } : {}),
      ...(spec.maxInflight !== undefined ? { max_inflight: spec.maxInflight } : {}),
    },
    // The route as the Go service's files and the environment write it.
    routes: [{ nats_topic: 'bench', mqtt_topic: TOPIC_PREFIX, type: 'default', workers: 10 }],
    // The default store (file, 1 GiB); only its directory is fresh per run.
    store: { type: spec.store, path: storePath },
  })
  if (spec.cpuProfileDir !== undefined) return startProfiledService(spec.cpuProfileDir, configText, httpPort, storePath, env)
  const service: ServiceProcess = await startService({ configText, httpPort, env: { MF_EXPORT_STORE_PATH: storePath }, startTimeoutMs: 20_000 })
  const health = async (): Promise<Record<string, unknown>> => (await service.health()).body as Record<string, unknown>
  try {
    await waitForMqtt(health)
  } catch (err: unknown) {
    await service.close()
    throw err
  }
  return {
    pid: service.pid,
    send: (load, timeoutMs) => publishLoad(env, load, timeoutMs),
    health,
    metrics: async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text(),
    stop: async () => {
      // BENCH_DEBUG=1: the service's last log lines, to see why a run went wrong (reconnect loops…).
      if (process.env.BENCH_DEBUG !== undefined) for (const l of service.logs.slice(-40)) process.stderr.write(`${JSON.stringify(l)}\n`)
      const status = await service.stop(15_000)
      if (status.code !== 0) {
        process.stderr.write(`service exited with ${JSON.stringify(status)}; stderr:\n${service.stderr().slice(-2000)}\n`)
      }
      await service.close()
    },
  }
}

async function waitForMqtt(health: () => Promise<Record<string, unknown>>): Promise<void> {
  await waitFor(async () => (await health()).mqtt === 'connected', { timeoutMs: 15_000, what: 'the service to connect to MQTT' })
}

/**
 * The service with `--cpu-prof`: spawned directly, because the test helper has no place for node
 * flags and NODE_OPTIONS refuses them. The profile is written when it exits after SIGTERM.
 */
async function startProfiledService(profileDir: string, configText: string, httpPort: number, storePath: string, env: BenchEnv): Promise<RunningSystem> {
  const configPath = join(env.dir, `profiled-${httpPort}.toml`)
  await writeFile(configPath, configText)
  const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MF_')))
  const main = join(here, '..', 'src', 'main.js')
  const service = spawnNode(main, ['--config', configPath], { ...childEnv, MF_EXPORT_STORE_PATH: storePath }, cpuProfileFlags(profileDir))
  const health = async (): Promise<Record<string, unknown>> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(2000) })
    return (await res.json()) as Record<string, unknown>
  }
  try {
    await waitForMqtt(health)
  } catch (err: unknown) {
    await service.stop()
    throw new Error(`profiled service did not start: ${service.stderr()}`, { cause: err })
  }
  return {
    pid: service.pid,
    send: (load, timeoutMs) => publishLoad(env, load, timeoutMs),
    health,
    stop: () => service.stop(15_000),
  }
}

async function startPlainPipe(env: BenchEnv, spec: Extract<SystemSpec, { kind: 'plain' }>): Promise<RunningSystem> {
  if (spec.cpuProfileDir !== undefined) await mkdir(spec.cpuProfileDir, { recursive: true })
  const pipe: NodeChild = spawnNode(
    join(here, 'plain-pipe.js'),
    [
      env.nats.url,
      SUBJECT,
      `mqtt://127.0.0.1:${spec.mqttPort ?? env.broker.port}`,
      TOPIC_PREFIX,
      String(spec.qos),
      String(spec.maxInFlight ?? 0),
      [spec.noDelay === true ? 'nodelay' : '', spec.coalesce === true ? 'coalesce' : '', spec.protocolVersion === 5 ? 'v5' : ''].join(','),
    ],
    process.env,
    cpuProfileFlags(spec.cpuProfileDir),
  )
  try {
    await pipe.waitForLine((l) => l === 'ready', 15_000, 'the plain pipe to connect')
  } catch (err: unknown) {
    await pipe.stop()
    throw err
  }
  return {
    pid: pipe.pid,
    send: (load, timeoutMs) => publishLoad(env, load, timeoutMs),
    stop: () => pipe.stop(15_000),
  }
}

/**
 * `mosquitto_pub -l`: one message per stdin line, so there is no NATS hop. The bench writes the
 * lines (each with its write time) into the pipe; default client settings (max 20 in flight).
 */
async function startMosquittoPub(env: BenchEnv, spec: Extract<SystemSpec, { kind: 'mosquitto_pub' }>): Promise<RunningSystem> {
  const id = `bench-mpub-${process.pid}-${++systemNo}`
  const child = spawn(
    requireBinary('mosquitto_pub'),
    ['-h', '127.0.0.1', '-p', String(env.broker.port), '-i', id, '-t', MQTT_TOPIC, '-q', String(spec.qos), '-l', ...(spec.noDelay === true ? ['--nodelay'] : [])],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  )
  killOnExit(child)
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  await waitFor(() => env.broker.output().includes(` as ${id} `) || child.exitCode !== null, {
    timeoutMs: 10_000,
    what: `mosquitto_pub ${id} to connect`,
  })
  if (child.exitCode !== null) throw new Error(`mosquitto_pub exited: ${stderr}`)
  const stdin = child.stdin
  return {
    pid: child.pid ?? -1,
    send: async (load, timeoutMs) => {
      const deadline = nowMs() + timeoutMs
      let published = 0
      let firstMs = 0
      let lastMs = 0
      const started = nowMs()
      while (published < load.count && nowMs() < deadline) {
        const due = load.rate <= 0 ? load.count : Math.min(load.count, Math.floor(((nowMs() - started) * load.rate) / 1000) + 1)
        let chunk = ''
        while (published < due && chunk.length < 256 * 1024) {
          const t = nowMs()
          if (published === 0) firstMs = t
          lastMs = t
          chunk += `${benchPayload(published, t, load.size)}\n`
          published++
        }
        const more = stdin.write(chunk)
        if (!more) await new Promise<void>((resolve) => stdin.once('drain', () => resolve()))
        else if (load.rate > 0) await new Promise<void>((resolve) => setTimeout(resolve, 1))
      }
      return { published, firstMs, lastMs }
    },
    stop: async () => {
      stdin.end()
      await withDeadline(exited, 15_000, 'mosquitto_pub to finish').catch(() => child.kill('SIGKILL'))
      await exited
    },
  }
}
