// Child processes of the bench and what /proc says about them.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { killOnExit } from '../test/helpers/daemon.js'
import { withDeadline } from '../test/helpers/wait.js'

/** Peak resident set size (VmHWM) of a running process, in MiB; undefined once it has exited. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    // The process is gone: no figure rather than a wrong one.
    return undefined
  }
}

/** CPU time (user + system) a process has used so far, in seconds. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

/** A node script of dist/bench run as a child; stdout lines are collected. */
export interface NodeChild {
  readonly child: ChildProcess
  readonly pid: number
  readonly lines: string[]
  /** Resolves with the first stdout line that satisfies `pred`. */
  waitForLine(pred: (line: string) => boolean, timeoutMs: number, what: string): Promise<string>
  readonly exited: Promise<number | null>
  stderr(): string
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>
}

/**
 * Node flags that write a CPU profile at exit into `dir` (NODE_OPTIONS refuses --cpu-prof, so
 * the flags go on the command line). 500 µs sampling: finer than the default, still cheap.
 */
export function cpuProfileFlags(dir: string | undefined): string[] {
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500']
}

export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv = process.env, nodeFlags: string[] = []): NodeChild {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  killOnExit(child)
  const lines: string[] = []
  let stderr = ''
  const waiters = new Set<(line: string) => void>()
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    for (const w of waiters) w(line)
  })
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-20_000)
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return {
    child,
    pid: child.pid ?? -1,
    lines,
    exited,
    stderr: () => stderr,
    waitForLine: (pred, timeoutMs, what) => {
      const past = lines.find(pred)
      if (past !== undefined) return Promise.resolve(past)
      let onLine: ((line: string) => void) | undefined
      const found = new Promise<string>((resolve, reject) => {
        onLine = (line) => {
          if (pred(line)) resolve(line)
        }
        waiters.add(onLine)
        void exited.then((code) => reject(new Error(`${script} exited (${code}) before ${what}: ${stderr.slice(-2000)}`)))
      })
      return withDeadline(found, timeoutMs, what).finally(() => {
        if (onLine) waiters.delete(onLine)
      })
    },
    stop: async (timeoutMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await withDeadline(exited, timeoutMs, `${script} to exit`).catch(() => {
        child.kill('SIGKILL')
      })
      await exited
    },
  }
}

/** The pid of a process whose command line contains `needle` (e.g. a broker's config path). */
export function findPid(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(needle)) return Number(entry)
    } catch {
      // Exited while we looked.
    }
  }
  return undefined
}
