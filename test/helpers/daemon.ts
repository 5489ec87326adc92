import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { PORT_TAKEN } from '../../src/demo/net.js'
import { withDeadline, canConnect, waitFor } from './wait.js'

/** How a child process ended. */
export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * What the brokers the tests start (mosquitto.ts, nats-server.ts) have in common: a process the
 * test can stop, crash and start again on the same ports with the same state (config, store).
 */
export interface BrokerProcess {
  /** Whether the process is running now. */
  readonly running: boolean
  /** The broker's recent log output (connections, refusals, ACL denials…). */
  output(): string
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 5 s). Keeps the state for {@link restart}. Idempotent. */
  stop(timeoutMs?: number): Promise<ExitStatus | undefined>
  /** SIGKILL, as a crash would. Keeps the state. Idempotent. */
  kill(): Promise<ExitStatus | undefined>
  /** Stops the broker if it runs and starts it again on the same ports with the same state. */
  restart(): Promise<void>
  /** Stops the broker and removes the temp dirs it created. Idempotent; the object is unusable after. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Starts a broker with `spawn` and returns it as a {@link BrokerProcess} with `fields` (its ports,
 * URLs…): `restart` spawns it again, `close` stops it and then runs `cleanup` (its temp dirs).
 * `name` says which broker in the error of a restart after close.
 */
export async function startBroker<F extends object>(name: string, spawn: () => Promise<Daemon>, cleanup: () => Promise<void>, fields: F): Promise<BrokerProcess & F> {
  let daemon: Daemon | undefined = await spawn()
  let closed = false
  const broker: BrokerProcess & F = {
    ...fields,
    get running() {
      return daemon !== undefined && !closed && daemon.exitStatus === undefined
    },
    output: () => daemon?.output() ?? '',
    stop: async (timeoutMs?: number) => daemon?.stop(timeoutMs),
    kill: async () => daemon?.kill(),
    restart: async () => {
      if (closed) throw new Error(`${name} was closed; it cannot be restarted`)
      await daemon?.stop()
      daemon = undefined
      daemon = await spawn()
    },
    close: async () => {
      if (closed) return
      closed = true
      await daemon?.stop()
      await cleanup()
    },
    [Symbol.asyncDispose]: () => broker.close(),
  }
  return broker
}

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  /** Short name for messages, e.g. `nats-server`. */
  name: string
  command: string
  args: readonly string[]
  /** Ports that must accept TCP connections before the daemon counts as started. */
  readyPorts: readonly number[]
  /** Extra readiness check after the ports accept (e.g. an HTTP health endpoint). */
  ready?: () => Promise<boolean>
  /** Deadline for the daemon to become ready; default 10 s. */
  startTimeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/** A server process owned by a test. */
export interface Daemon {
  readonly name: string
  readonly pid: number
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<ExitStatus>
  /** How the process ended, or `undefined` while it runs. */
  readonly exitStatus: ExitStatus | undefined
  /** The last 256 KiB of stdout and stderr, interleaved, for error messages. */
  output(): string
  /** SIGTERM, then SIGKILL if it has not exited after `timeoutMs` (default 5 s). Idempotent. */
  stop(timeoutMs?: number): Promise<ExitStatus>
  /** SIGKILL, as a crash would. Idempotent. */
  kill(): Promise<ExitStatus>
}

/** Thrown when a daemon exits or fails to become ready during start; the message has its output. */
export class DaemonStartError extends Error {
  override readonly name = 'DaemonStartError'
  /** The daemon's output, to recognise e.g. a port taken by someone else. */
  readonly output: string
  constructor(message: string, output: string, cause?: unknown) {
    super(`${message}\n--- output ---\n${output.slice(-4000)}`, { cause })
    this.output = output
  }
}

/** Whether a daemon did not start because another process took its port first (see retryWhilePortTaken). */
export function portWasTaken(err: unknown): boolean {
  return err instanceof DaemonStartError && PORT_TAKEN.test(err.output)
}

const OUTPUT_LIMIT = 256 * 1024

// Children still running when the test process exits (a test that forgot its cleanup, or a crash of
// the runner) are killed synchronously here, so no broker outlives the run and holds a port.
const live = new Set<ChildProcess>()
let exitHookInstalled = false

/** SIGKILLs `child` if it is still running when the test process exits. */
export function killOnExit(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    const killAll = (): void => {
      for (const c of live) c.kill('SIGKILL')
    }
    process.once('exit', killAll)
    // The test runner ends a timed-out file with SIGTERM, which skips 'exit': kill the children,
    // then die of the same signal as if nobody had listened.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        killAll()
        process.kill(process.pid, signal)
      })
    }
  }
}

/** Spawns a server process and resolves once its ports accept connections. */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const child = spawn(opts.command, opts.args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env })
  let output = ''
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8')
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT)
  }
  // Both pipes must always be drained: a child blocked on a full pipe looks like a hung broker.
  child.stdout.on('data', append)
  child.stderr.on('data', append)

  let exitStatus: ExitStatus | undefined
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('error', (err) => {
      append(Buffer.from(`spawn error: ${err.message}\n`))
      exitStatus ??= { code: null, signal: null }
      resolve(exitStatus)
    })
    child.once('exit', (code, signal) => {
      exitStatus = { code, signal }
    })
    // 'close' comes after the pipes are drained, so whoever awaits `exited` sees the whole output.
    child.once('close', (code, signal) => resolve(exitStatus ?? { code, signal }))
  })
  killOnExit(child)

  let stopping: Promise<ExitStatus> | undefined
  const stop = (timeoutMs = 5000): Promise<ExitStatus> => {
    stopping ??= (async () => {
      if (exitStatus !== undefined) return exitStatus
      child.kill('SIGTERM')
      try {
        return await withDeadline(exited, timeoutMs, `${opts.name} to exit after SIGTERM`)
      } catch {
        // Graceful shutdown took too long: a test must not hang on a broker, so force it.
        child.kill('SIGKILL')
        return exited
      }
    })()
    return stopping
  }
  const kill = (): Promise<ExitStatus> => {
    if (exitStatus === undefined) child.kill('SIGKILL')
    return exited
  }
  const daemon: Daemon = {
    name: opts.name,
    pid: child.pid ?? -1,
    exited,
    get exitStatus() {
      return exitStatus
    },
    output: () => output,
    stop,
    kill,
  }

  const timeoutMs = opts.startTimeoutMs ?? 10_000
  try {
    // Polling stops on readiness or on exit: an early exit (bad config, port taken) is final and
    // must fail at once with the daemon's own explanation, not after the whole deadline.
    const verdict = await waitFor(
      async () => {
        if (exitStatus !== undefined) return 'exited' as const
        for (const port of opts.readyPorts) if (!(await canConnect(port))) return false
        return (opts.ready === undefined || (await opts.ready())) && ('ready' as const)
      },
      { timeoutMs, what: `${opts.name} (pid ${daemon.pid}) to accept connections on ${opts.readyPorts.join(', ')}` },
    ).catch((err: unknown) => {
      throw new DaemonStartError(`${opts.name} did not start: ${err instanceof Error ? err.message : String(err)}`, output, err)
    })
    if (verdict === 'exited') {
      const status = await exited
      throw new DaemonStartError(`${opts.name} exited during start (${describeExit(status)})`, output)
    }
  } catch (err: unknown) {
    await kill()
    throw err
  }
  return daemon
}

/** `exit code 1` or `signal SIGKILL`. */
export function describeExit(status: ExitStatus): string {
  return status.signal !== null ? `signal ${status.signal}` : `exit code ${String(status.code)}`
}
