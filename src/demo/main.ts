#!/usr/bin/env node
// `npm run demo` (or `mainflux-export-demo` from the installed package): the bridge at work, with
// throwaway brokers, a simulated fleet and a cloud link that is cut on a schedule.
import { DEFAULT_HTTP_PORT, USAGE, parseDemoArgs } from './args.js'
import { MissingProgramError } from './brokers.js'
import { startDemo } from './demo.js'
import type { Demo, DemoOptions } from './demo.js'
import { freePort, portIsFree } from './net.js'

/** Signals this soon after the first are the same Ctrl-C; a later one forces the exit. */
const REPEAT_WINDOW_MS = 2000

async function main(argv: readonly string[]): Promise<number> {
  let parsed: DemoOptions | 'help'
  try {
    parsed = parseDemoArgs(argv)
  } catch (err: unknown) {
    process.stderr.write(`mainflux-export demo: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
    return 2
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  const opts = parsed
  if (opts.httpPort === 0) opts.httpPort = await freePort()
  else if (opts.httpPort === DEFAULT_HTTP_PORT && !(await portIsFree(DEFAULT_HTTP_PORT))) {
    opts.httpPort = await freePort()
    console.log(`port ${DEFAULT_HTTP_PORT} is taken: the status page is on ${opts.httpPort}`)
  }

  // Signals are caught before anything starts, so a Ctrl-C during the start still cleans up.
  let demo: Demo | undefined
  let stopRequested: (signal: NodeJS.Signals) => void = () => undefined
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve))
  let firstSignalAt: number | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now()
      console.log(`${signal}: stopping the demo`)
      stopRequested(signal)
      return
    }
    // Under `npm run demo` one Ctrl-C arrives twice: from the terminal and forwarded by npm.
    if (Date.now() - firstSignalAt < REPEAT_WINDOW_MS) return
    console.log(`${signal} again: exiting now${demo ? `; remove ${demo.dir} by hand` : ''}`)
    process.exit(130) // the 'exit' hook in child.ts still kills the children
  }
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal)

  try {
    const starting = startDemo(opts, (line) => console.log(line))
    const first = await Promise.race([starting, stopSignal])
    demo = typeof first === 'string' ? undefined : first
    if (demo === undefined) {
      await (await starting).stop() // a signal came during the start
      return 0
    }
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err)
    console.error(`mainflux-export demo: ${err instanceof MissingProgramError ? message : `could not start: ${message}`}`)
    return 1
  }

  const outcome = await Promise.race([stopSignal.then(() => 'signal' as const), demo.failed])
  await demo.stop()
  if (outcome === 'signal') return 0
  console.error(`mainflux-export demo: stopped because ${outcome}`)
  return 1
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`mainflux-export demo: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.exit(1)
  },
)
