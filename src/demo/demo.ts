import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDemoMosquitto, startDemoNats } from './brokers.js'
import type { DemoBroker } from './brokers.js'
import { startChild } from './child.js'
import type { DemoChild } from './child.js'
import { startCloudCounter } from './cloud-counter.js'
import type { CloudCounter } from './cloud-counter.js'
import { DEMO_MQTT_TOPIC, demoConfigToml } from './demo-config.js'
import { ALARM_PREFIX, TELEMETRY_PREFIX, startFleet } from './fleet.js'
import type { Fleet } from './fleet.js'
import { startLinkCutter } from './link-cutter.js'
import type { LinkCutter } from './link-cutter.js'
import { pollUntil } from './net.js'

/** What the demo runs; `npm run demo -- --help` lists the flags that set it. */
export interface DemoOptions {
  httpPort: number
  devices: number
  telemetryPerSecond: number
  alarmsPerSecond: number
  /** One cut starts every this many seconds... */
  cutEverySec: number
  /** ...and lasts this long. */
  cutForSec: number
  /** Seconds between two progress lines. */
  reportEverySec: number
}

/** A running demo. */
export interface Demo {
  /** The temp dir with the config, the store and the broker's config; removed by {@link stop}. */
  readonly dir: string
  /** Settles with a reason when a part died on its own (the demo then has to stop). */
  readonly failed: Promise<string>
  /** Stops everything in order and removes the temp dir. Idempotent. */
  stop(): Promise<void>
}

const SERVICE_MAIN = fileURLToPath(new URL('../main.js', import.meta.url))
const SERVICE_START_TIMEOUT_MS = 20_000

/** Starts the brokers, the link cutter, the service, the fleet, then the cut schedule; prints as it goes. */
export async function startDemo(opts: DemoOptions, print: (line: string) => void): Promise<Demo> {
  const dir = await mkdtemp(join(tmpdir(), 'mainflux-export-demo-'))
  const parts: { nats?: DemoBroker; mosquitto?: DemoBroker; cutter?: LinkCutter; service?: DemoChild; fleet?: Fleet; cloud?: CloudCounter } = {}
  const timers: NodeJS.Timeout[] = []
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const t of timers) clearTimeout(t)
      // The fleet first, then the service (it acknowledges what it has in flight), the brokers last.
      await parts.fleet?.close().catch(() => undefined)
      await parts.service?.stop(10_000)
      await parts.cloud?.close().catch(() => undefined)
      await parts.cutter?.close()
      await Promise.all([parts.mosquitto?.child.stop(5000), parts.nats?.child.stop(5000)])
      await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 })
      print(`demo stopped; removed ${dir}`)
    })()
    return stopping
  }

  try {
    parts.nats = await startDemoNats()
    parts.mosquitto = await startDemoMosquitto(dir)
    parts.cutter = await startLinkCutter(parts.mosquitto.port)
    const configPath = join(dir, 'config.toml')
    const storeDir = join(dir, 'store')
    await writeFile(configPath, demoConfigToml({ natsUrl: parts.nats.url, mqttPort: parts.cutter.port, httpPort: opts.httpPort, storeDir }))
    parts.service = startService(configPath, print)
    const service = parts.service
    const notReady = await pollUntil(
      () => answers(`http://127.0.0.1:${opts.httpPort}/health`),
      () => (service.exitedHow !== undefined ? `exited (${service.exitedHow})` : undefined),
      SERVICE_START_TIMEOUT_MS,
    )
    if (notReady !== undefined) throw new Error(`the service did not start: ${notReady}\n${service.output().slice(-3000)}`)
    parts.cloud = await startCloudCounter(parts.mosquitto.port)
    parts.fleet = await startFleet({ natsUrl: parts.nats.url, devices: opts.devices, telemetryPerSecond: opts.telemetryPerSecond, alarmsPerSecond: opts.alarmsPerSecond })
  } catch (err: unknown) {
    await stop()
    throw err
  }

  const { nats, mosquitto, cutter, service, fleet, cloud } = parts as Required<typeof parts>
  const statusUrl = `http://127.0.0.1:${opts.httpPort}/`
  print(
    [
      'mainflux-export demo',
      `  temp dir     ${dir}`,
      `  NATS         ${nats.url} (nats-server pid ${nats.child.pid})`,
      `  cloud MQTT   ${mosquitto.url} (mosquitto pid ${mosquitto.child.pid}); the service reaches it through a link cutter on port ${cutter.port}`,
      `  service      pid ${service.pid}, config ${join(dir, 'config.toml')}, file store ${join(dir, 'store')}`,
      `  fleet        ${opts.devices} devices: ${opts.telemetryPerSecond} msg/s SenML on ${TELEMETRY_PREFIX}.<device>.climate (priority 0), ${opts.alarmsPerSecond} msg/s on ${ALARM_PREFIX}.<device>.door (priority 5)`,
      `  link cuts    ${opts.cutForSec} s every ${opts.cutEverySec} s`,
      '',
      `Status page: ${statusUrl}`,
      `Watch the cloud: mosquitto_sub -h 127.0.0.1 -p ${mosquitto.port} -t '${DEMO_MQTT_TOPIC}/#' -v`,
      'Ctrl-C stops the demo and removes everything.',
      '',
    ].join('\n'),
  )

  // The cut schedule: up for (every - for) seconds, cut for `for` seconds, again.
  const scheduleCut = (): void => {
    timers.push(
      setTimeout(() => {
        cutter.cut()
        print(`cloud link CUT for ${opts.cutForSec} s: the service keeps taking messages and queues them on disk`)
        timers.push(
          setTimeout(() => {
            cutter.restore()
            print('cloud link restored: the service reconnects and drains its queue (alarms first)')
            scheduleCut()
          }, opts.cutForSec * 1000),
        )
      }, (opts.cutEverySec - opts.cutForSec) * 1000),
    )
  }
  scheduleCut()

  const startedAt = Date.now()
  let last = { at: startedAt, published: 0, received: 0 }
  const report = (): void => {
    const now = Date.now()
    const seconds = (now - last.at) / 1000
    const inRate = (fleet.published - last.published) / seconds
    const outRate = (cloud.received - last.received) / seconds
    last = { at: now, published: fleet.published, received: cloud.received }
    void queued(opts.httpPort).then((q) => {
      print(
        `t=${Math.round((now - startedAt) / 1000)}s  fleet→NATS ${inRate.toFixed(0)} msg/s  broker← ${outRate.toFixed(0)} msg/s  ` +
          `queued ${q}  link ${cutter.isCut ? 'CUT' : 'up'}  (total ${fleet.published} published, ${cloud.received} at the broker)`,
      )
    })
  }
  timers.push(setInterval(report, opts.reportEverySec * 1000))

  const failed = Promise.race(
    [nats.child, mosquitto.child, service].map((c) => c.exited.then((how) => `${c.name} exited (${how})\n${c.output().slice(-2000)}`)),
  )
  return { dir, failed, stop }
}

/** The service as its own process, exactly as `mainflux-export --config FILE` runs it. */
function startService(configPath: string, print: (line: string) => void): DemoChild {
  // MF_* variables of the shell would override the demo's store settings: leave them out.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MF_')))
  return startChild('mainflux-export', process.execPath, [SERVICE_MAIN, '--config', configPath], {
    env,
    onStdout: (chunk) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') print(`service: ${describeLogLine(line)}`)
    },
  })
}

/** `warn: mqtt connection lost` from a pino JSON line; the line itself if it is not one. */
export function describeLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: unknown; message?: unknown; msg?: unknown }
    const message = entry.message ?? entry.msg
    if (typeof message === 'string') return `${typeof entry.level === 'string' ? entry.level : 'log'}: ${message}`
  } catch {
    // not JSON (a crash trace): shown as it is
  }
  return line
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url)
  await res.body?.cancel()
  return true // 503 (NATS not yet connected) is an answer too: the HTTP server is up
}

/** The service's queue depth from `/health`, or `?` while it does not answer. */
async function queued(httpPort: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(2000) })
    const body = (await res.json()) as { queued?: unknown }
    return typeof body.queued === 'number' ? String(body.queued) : '?'
  } catch {
    return '?'
  }
}
