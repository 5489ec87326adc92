import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { setTimeout as delay } from 'node:timers/promises'

/** A program the demo started and must stop. */
export interface DemoChild {
  readonly name: string
  readonly pid: number
  /** Settles when the process has exited (never rejects): `exit code 1`, `signal SIGKILL`. */
  readonly exited: Promise<string>
  /** Set once the process has exited. */
  readonly exitedHow: string | undefined
  /** The last 64 KiB of its stdout and stderr, for error messages. */
  output(): string
  /** SIGTERM, then SIGKILL after `timeoutMs`. Idempotent. */
  stop(timeoutMs: number): Promise<string>
}

const OUTPUT_LIMIT = 64 * 1024
const live = new Set<ChildProcess>()

// The children run in their own process group (below), so whatever ends the demo without its
// cleanup (an exception, process.exit) must not leave them running: kill them synchronously.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** Options of {@link startChild}. */
export interface ChildOptions {
  env?: NodeJS.ProcessEnv
  /** Called with each chunk of stdout (after it is kept for {@link DemoChild.output}). */
  onStdout?: (chunk: string) => void
}

/**
 * Spawns `command` in its own process group. A Ctrl-C in the terminal then reaches the demo only,
 * which stops the parts in order (fleet, service, brokers) instead of all of them dying at once.
 */
export function startChild(name: string, command: string, args: readonly string[], opts: ChildOptions = {}): DemoChild {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: opts.env ?? process.env })
  live.add(child)
  let output = ''
  const keep = (chunk: Buffer): string => {
    const text = chunk.toString('utf8')
    output = (output + text).slice(-OUTPUT_LIMIT)
    return text
  }
  // Both pipes are always read: a child blocked on a full pipe would look hung.
  child.stdout.on('data', (chunk: Buffer) => opts.onStdout?.(keep(chunk)))
  child.stderr.on('data', (chunk: Buffer) => void keep(chunk))

  let exitedHow: string | undefined
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => {
      keep(Buffer.from(`cannot start ${command}: ${err.message}\n`))
      exitedHow ??= 'not started'
      live.delete(child)
      resolve(exitedHow)
    })
    child.once('close', (code, signal) => {
      exitedHow ??= signal !== null ? `signal ${signal}` : `exit code ${String(code)}`
      live.delete(child)
      resolve(exitedHow)
    })
  })

  let stopping: Promise<string> | undefined
  const stop = (timeoutMs: number): Promise<string> => {
    stopping ??= (async () => {
      if (exitedHow !== undefined) return exitedHow
      child.kill('SIGTERM')
      const ac = new AbortController()
      const how = await Promise.race([exited, delay(timeoutMs, undefined, { signal: ac.signal }).catch(() => undefined)])
      ac.abort()
      if (how !== undefined) return how
      child.kill('SIGKILL') // graceful stop took too long: Ctrl-C must not hang
      return exited
    })()
    return stopping
  }

  return {
    name,
    pid: child.pid ?? -1,
    exited,
    get exitedHow() {
      return exitedHow
    },
    output: () => output,
    stop,
  }
}
