import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { ExitStatus } from './daemon.js'
import { describeExit, killOnExit } from './daemon.js'
import { makeTempDir, removeDir } from './temp-dir.js'
import { WaitTimeoutError, waitFor, withDeadline } from './wait.js'

/** One stdout line of the service: the parsed JSON object (`level`, `message`, `ts`, fields…). */
export type LogEntry = Readonly<Record<string, unknown>>

/** Options of {@link startService}. */
export interface ServiceOptions {
  /** An existing config file, passed as `--config`. */
  configPath?: string
  /** Config file text, written to a temp file and passed as `--config`. */
  configText?: string
  /** Extension of the file written from `configText`; default `toml`. */
  configFormat?: 'toml' | 'json'
  /** The `[exp] port` of the config, for {@link ServiceProcess.health}. */
  httpPort?: number
  /**
   * Environment over the test's own, from which every inherited `MF_*` variable is removed so that
   * the machine's settings cannot leak into a test. `MF_EXPORT_STORE_PATH` defaults to a fresh temp dir.
   */
  env?: Record<string, string>
  /** Working directory; default the repo root (`process.cwd()` when tests run). */
  cwd?: string
  /** Arguments after `--config <path>`. */
  args?: string[]
  /** Program to run; default `<repo root>/dist/src/main.js`. */
  mainPath?: string
  /**
   * Resolve only once `GET /health` answers (any status), when `httpPort` is given; default true.
   * The deadline is `startTimeoutMs` (default 10 s); an exit before that rejects with the output.
   */
  waitForHttp?: boolean
  startTimeoutMs?: number
}

/** A run of the built service as a child process. */
export interface ServiceProcess {
  readonly pid: number
  /** The temp dir holding the generated config and the default store; removed at close. */
  readonly dir: string
  readonly configPath: string | undefined
  /** The store directory the service was given (`MF_EXPORT_STORE_PATH`). */
  readonly storePath: string
  /** JSON log lines of the current run, in order. */
  readonly logs: readonly LogEntry[]
  /** Stdout lines of the current run that are not JSON (a crash trace, a stray console.log). */
  readonly rawLines: readonly string[]
  /** Stderr of the current run (the last 256 KiB). */
  stderr(): string
  /** Settles when the current run has exited; never rejects. */
  readonly exited: Promise<ExitStatus>
  /** Resolves with the first log entry of the current run matching `pred`, past or future. */
  waitForLog(pred: (entry: LogEntry) => boolean, timeoutMs: number, what?: string): Promise<LogEntry>
  /** `GET /health` on 127.0.0.1:`httpPort`; `body` is parsed JSON, or the text if it is not JSON. */
  health(): Promise<{ status: number; body: unknown }>
  /** Sends a signal (default SIGKILL, as a crash) and resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<ExitStatus>
  /** SIGTERM, up to `timeoutMs` (default 10 s) for a graceful exit, then SIGKILL. Idempotent per run. */
  stop(timeoutMs?: number): Promise<ExitStatus>
  /** Starts the service again with the same config, env and store (after a kill, for instance). Logs restart empty. */
  restart(): Promise<void>
  /** Stops the service and removes the temp dir. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

const STDERR_LIMIT = 256 * 1024
const MAX_LOG_LINES = 200_000

/** Spawns `node dist/src/main.js --config <file>` and collects its JSON logs. */
export async function startService(opts: ServiceOptions): Promise<ServiceProcess> {
  const root = process.cwd()
  const mainPath = opts.mainPath ?? resolve(root, 'dist/src/main.js')
  if (!existsSync(mainPath)) {
    throw new Error(`${mainPath} not found: build the service first with "npx tsc -p ."`)
  }
  const dir = await makeTempDir('service')
  let configPath = opts.configPath
  if (opts.configText !== undefined) {
    configPath = join(dir, `config.${opts.configFormat ?? 'toml'}`)
    await writeFile(configPath, opts.configText)
  }
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MF_')))
  Object.assign(env, { MF_EXPORT_STORE_PATH: join(dir, 'store') }, opts.env)
  const storePath = env.MF_EXPORT_STORE_PATH ?? join(dir, 'store')
  const args = [mainPath, ...(configPath !== undefined ? ['--config', configPath] : []), ...(opts.args ?? [])]
  const cwd = opts.cwd ?? root

  let run = spawnRun(args, env, cwd)
  let closing: Promise<void> | undefined

  const health = async (): Promise<{ status: number; body: unknown }> => {
    if (opts.httpPort === undefined) throw new Error('service.health(): pass httpPort to startService')
    const res = await fetch(`http://127.0.0.1:${opts.httpPort}/health`, { signal: AbortSignal.timeout(2000) })
    const text = await res.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // Not JSON: the caller gets the text, which is what a failing assertion should show.
    }
    return { status: res.status, body }
  }

  const waitUntilUp = async (): Promise<void> => {
    if (opts.httpPort === undefined || opts.waitForHttp === false) return
    const timeoutMs = opts.startTimeoutMs ?? 10_000
    const current = run
    const up = await waitFor(
      async () => (current.status !== undefined ? 'exited' : (await health()) && 'up'),
      { timeoutMs, what: `the service's /health on port ${opts.httpPort}` },
    ).catch((err: unknown) => {
      throw new Error(`${describeRun(current)}\n${err instanceof Error ? err.message : String(err)}`, { cause: err })
    })
    if (up === 'exited') {
      await current.exited
      throw new Error(`service exited during start: ${describeRun(current)}`)
    }
  }

  const service: ServiceProcess = {
    get pid() {
      return run.child.pid ?? -1
    },
    dir,
    configPath,
    storePath,
    get logs() {
      return run.logs
    },
    get rawLines() {
      return run.rawLines
    },
    stderr: () => run.stderr,
    get exited() {
      return run.exited
    },
    waitForLog: (pred, timeoutMs, what = 'a matching log line') => waitForLog(run, pred, timeoutMs, what),
    health,
    kill: (signal = 'SIGKILL') => {
      if (run.status === undefined) run.child.kill(signal)
      return run.exited
    },
    stop: (timeoutMs = 10_000) => stopRun(run, timeoutMs),
    restart: async () => {
      if (closing !== undefined) throw new Error('service was closed; it cannot be restarted')
      await stopRun(run, 10_000)
      run = spawnRun(args, env, cwd)
      await waitUntilUp()
    },
    close: () => {
      closing ??= (async () => {
        await stopRun(run, 10_000)
        await removeDir(dir)
      })()
      return closing
    },
    [Symbol.asyncDispose]: () => service.close(),
  }

  try {
    await waitUntilUp()
  } catch (err: unknown) {
    await service.close()
    throw err
  }
  return service
}

interface Run {
  child: ChildProcessByStdio<null, Readable, Readable>
  logs: LogEntry[]
  rawLines: string[]
  stderr: string
  status: ExitStatus | undefined
  /** True once stdout and stderr are closed: no more lines will come. */
  closed: boolean
  exited: Promise<ExitStatus>
  lines: EventEmitter
  stopping: Promise<ExitStatus> | undefined
}

function spawnRun(args: string[], env: NodeJS.ProcessEnv, cwd: string): Run {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  killOnExit(child)
  const lines = new EventEmitter()
  const run: Run = {
    child,
    logs: [],
    rawLines: [],
    stderr: '',
    status: undefined,
    closed: false,
    exited: Promise.resolve({ code: null, signal: null }),
    lines,
    stopping: undefined,
  }
  run.exited = new Promise<ExitStatus>((resolveExit) => {
    child.once('error', (err) => {
      run.stderr += `spawn error: ${err.message}\n`
      run.status ??= { code: null, signal: null }
      resolveExit(run.status)
    })
    child.once('exit', (code, signal) => {
      run.status = { code, signal }
    })
    // After 'close' every line has been read, so a test that awaits `exited` sees the last logs.
    child.once('close', (code, signal) => {
      run.status ??= { code, signal }
      run.closed = true
      lines.emit('exit')
      resolveExit(run.status)
    })
  })
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
    const entry = parseLogLine(line)
    // Bounded so that a runaway debug log cannot exhaust the test's memory.
    if (run.logs.length + run.rawLines.length >= MAX_LOG_LINES) return
    if (entry === undefined) run.rawLines.push(line)
    else {
      run.logs.push(entry)
      lines.emit('log', entry)
    }
  })
  child.stderr.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString('utf8')
    if (run.stderr.length > STDERR_LIMIT) run.stderr = run.stderr.slice(-STDERR_LIMIT)
  })
  return run
}

/** The parsed object of a JSON log line, or undefined if the line is not a JSON object. */
export function parseLogLine(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as LogEntry) : undefined
  } catch {
    // A line that merely starts with '{' is kept as a raw line by the caller.
    return undefined
  }
}

async function waitForLog(run: Run, pred: (e: LogEntry) => boolean, timeoutMs: number, what: string): Promise<LogEntry> {
  const past = run.logs.find(pred)
  if (past !== undefined) return past
  return new Promise<LogEntry>((resolveLog, reject) => {
    const onLog = (entry: LogEntry): void => {
      if (!pred(entry)) return
      finish()
      resolveLog(entry)
    }
    const onExit = (): void => {
      finish()
      reject(new Error(`service exited before logging ${what}: ${describeRun(run)}`))
    }
    const timer = setTimeout(() => {
      finish()
      reject(new WaitTimeoutError(`timed out after ${timeoutMs}ms waiting for ${what}; ${run.logs.length} log lines seen`))
    }, timeoutMs)
    const finish = (): void => {
      clearTimeout(timer)
      run.lines.off('log', onLog)
      run.lines.off('exit', onExit)
    }
    run.lines.on('log', onLog)
    run.lines.on('exit', onExit)
    if (run.closed) onExit()
  })
}

function stopRun(run: Run, timeoutMs: number): Promise<ExitStatus> {
  run.stopping ??= (async () => {
    if (run.status !== undefined) return run.exited
    run.child.kill('SIGTERM')
    try {
      return await withDeadline(run.exited, timeoutMs, 'the service to exit after SIGTERM')
    } catch {
      // The contract is exit within 5 s of SIGTERM; a test must still not hang if it is broken.
      run.child.kill('SIGKILL')
      return run.exited
    }
  })()
  return run.stopping
}

function describeRun(run: Run): string {
  const status = run.status === undefined ? 'still running' : describeExit(run.status)
  const tail = [...run.rawLines.slice(-20), run.stderr.slice(-2000)].join('\n').trim()
  return tail === '' ? status : `${status}; output:\n${tail}`
}
