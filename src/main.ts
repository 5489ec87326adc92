#!/usr/bin/env node
import { USAGE, parseCommand } from './cli/args.js'
import type { Command } from './cli/args.js'
import { runConfigCommand } from './cli/config-commands.js'
import { runDeadLetterCommand } from './cli/dead-letter-commands.js'
import { loadConfig, resolveConfigPath } from './config/index.js'
import { BridgeError, describeError } from './errors.js'
import { HttpApp } from './http/http-app.js'
import { limitHeapGrowth } from './heap-growth.js'
import { createLogger } from './logger.js'
import type { Logger } from './logger.js'
import { ConfigReloader } from './reload/config-reloader.js'
import { Service } from './service.js'
import { buildInfo } from './version.js'

/** How long in-flight messages get to be acknowledged on SIGTERM/SIGINT (docs/operations.md, section 2). */
const SHUTDOWN_DEADLINE_MS = 5000

async function run(configPath: string | undefined): Promise<number> {
  const heapFlag = limitHeapGrowth()
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
  log.info({ version: info.version, commit: info.commit, config: path, store: config.store.type, routes: config.routes.length, v8: heapFlag ?? 'as given' }, 'starting export service')

  const service = new Service(config, log)
  const reloader = new ConfigReloader(service, path, process.env, log.child({ component: 'reload' }))
  const http = new HttpApp(service, reloader, log)
  try {
    await service.start()
    await http.start()
  } catch (err: unknown) {
    log.error({ code: err instanceof BridgeError ? err.code : undefined }, describeError(err))
    await service.stop(0).catch(() => undefined) // the start error is the one to report
    await http.close()
    return 1
  }
  await reloader.start()
  const onHangup = (): void => void reloader.reload('SIGHUP') // the result is logged by reload()
  process.on('SIGHUP', onHangup)
  return await waitForSignal(log, async () => {
    process.off('SIGHUP', onHangup)
    // Reverse start order: no more reloads and requests, then the service drains.
    await reloader.stop(SHUTDOWN_DEADLINE_MS)
    await http.stop(SHUTDOWN_DEADLINE_MS)
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
