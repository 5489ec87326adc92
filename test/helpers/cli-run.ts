import { execFile } from 'node:child_process'
import { resolve } from 'node:path'

/** The outcome of a command line run. */
export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built `mainflux-export` with `args`, with none of the machine's `MF_*` variables but `env`. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliRun> {
  const main = resolve(process.cwd(), 'dist/src/main.js')
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MF_')))
  return new Promise((done) => {
    execFile(process.execPath, [main, ...args], { env: { ...clean, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}

/** For assertion messages. */
export function describeRun(run: CliRun): string {
  return `exit ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`
}
