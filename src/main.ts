#!/usr/bin/env node
import { USAGE, parseCommand } from './cli/args.js'
import type { Command } from './cli/args.js'
import { runConfigCommand } from './cli/config-commands.js'
import { runDeadLetterCommand } from './cli/dead-letter-commands.js'
import { loadConfig, resolveConfigPath } from './config/index.js'
import { BridgeError, describeError } from './errors.js'
import { HttpServer } from './http/server.js'
import { registerDeadLetters } from './http/dead-letters.js'
import { registerHealth } from './http/health.js'
import { LatencySummary } from './http/latency-summary.js'
import { Metrics } from './http/metrics.js'
import { registerProbes } from './http/probes.js'
import { registerReload } from './http/reload.js'
import { registerStatusPage } from './http/status-endpoints.js'
import { StatusHistory } from './http/status-history.js'
import { StoreUsageReader } from './http/store-usage.js'
import { ConfigReloader } from './reload.js'
import { createLogger } from './logger.js'
import type { Logger } from './logger.js'
import { Service } from './service.js'
import { buildInfo } from './version.js'

/** Seconds in-flight messages get to be acknowledged on SIGTERM/SIGINT (SPEC §1). */
const SHUTDOWN_DEADLINE_MS = 5000

async function run(configPath: string | undefined): Promise<number> {
  const bootLog = createLogger('info')
  const path = resolveConfigPath(configPath, process.env)
  let loaded
  try {
    loaded = await loadConfig({ path, env: process.env })
  } catch (err: unknown) {
    bootLog.error({ code: err instanceof BridgeError ? err.code : undefined }, describeError(err))
    return 1
  }
  const { config } = loaded
  const log = createLogger(config.exp.logLevel)
  for (const warning of loaded.warnings) log.warn({ path }, warning)
  if (loaded.origin === 'env') {
    if (loaded.writeError) log.warn({ path, err: loaded.writeError }, 'config built from the environment; could not save it')
    else log.info({ path }, 'config built from the environment and saved')
  }
  const info = buildInfo()
  log.info({ version: info.version, commit: info.commit, config: path, store: config.store.type, routes: config.routes.length }, 'starting export service')

  // The metrics read the service's status at scrape time; the service feeds the latency histogram
  // and the status page's latency quantiles.
  const storeUsage = new StoreUsageReader(
    config.store,
    () => service.status().routes.reduce((n, r) => n + r.queuedBytes, 0),
  )
  const metrics: Metrics = new Metrics(() => service.status(), storeUsage)
  const latency = new LatencySummary()
  const service = new Service(config, log, {
    observeLatency: (route, seconds) => {
      metrics.observeLatency(route, seconds)
      latency.observe(route, seconds)
    },
  })
  const reloader = new ConfigReloader(service, path, process.env, log.child({ component: 'reload' }))
  // The token is read at each request: a reload that changes it applies at once.
  const http = new HttpServer(log.child({ component: 'http' }), { token: () => service.config.exp.httpToken })
  const status = (): ReturnType<Service['status']> & { configError?: string } => ({ ...service.status(), configError: reloader.lastError })
  const keepAliveMs = (): number => service.config.mqtt.keepAliveMs
  const history = new StatusHistory(() => service.status())
  registerHealth(http, status, keepAliveMs)
  const stopProbes = registerProbes(http, () => service.status(), () => service.config.store)
  registerStatusPage(http, { status, config: () => service.config, history, latency, storeUsage }, keepAliveMs)
  metrics.register(http)
  registerReload(http, reloader)
  registerDeadLetters(http, service)
  try {
    await service.start()
    await http.listen(config.exp.port, config.exp.httpHost)
  } catch (err: unknown) {
    log.error({ code: err instanceof BridgeError ? err.code : undefined }, describeError(err))
    await service.stop(0).catch(() => undefined)
    await http.close()
    return 1
  }
  log.info({ host: config.exp.httpHost === '' ? 'all interfaces' : config.exp.httpHost, port: config.exp.port, tokenRequired: config.exp.httpToken !== '' }, 'HTTP listening')
  void service.natsConnection().then(
    (nc) => reloader.listen(nc),
    () => undefined, // the service logs NATS failures
  )
  const onHangup = (): void => void reloader.reload('SIGHUP') // the result is logged by reload()
  process.on('SIGHUP', onHangup)
  return await waitForSignal(log, async () => {
    process.off('SIGHUP', onHangup)
    reloader.close()
    history.close()
    stopProbes()
    await http.close()
    await service.stop(SHUTDOWN_DEADLINE_MS)
  })
}

/** Resolves with the exit code once SIGINT/SIGTERM has stopped the service. A second signal exits at once. */
function waitForSignal(log: Logger, shutdown: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now')
        process.exit(1)
      }
      stopping = true
      log.info({ signal }, 'shutting down')
      shutdown().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err: describeError(err) }, 'shutdown failed')
          resolve(1)
        },
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

async function main(argv: readonly string[]): Promise<number> {
  let command: Command
  try {
    command = parseCommand(argv)
  } catch (err: unknown) {
    process.stderr.write(`mainflux-export: ${describeError(err)}\n\n${USAGE}`)
    return 2
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(USAGE)
      return 0
    case 'version':
      process.stdout.write(`mainflux-export ${buildInfo().version} (${buildInfo().commit})\n`)
      return 0
    case 'run':
      return run(command.configPath)
    case 'dead-letters-list':
    case 'dead-letters-replay':
    case 'dead-letters-purge':
      return runDeadLetterCommand(command, process.env)
    default:
      return runConfigCommand(command, process.env)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mainflux-export: fatal: ${describeError(err)}\n`)
    process.exit(1)
  },
)
