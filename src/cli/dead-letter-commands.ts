import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { configFromEnv, configFromRaw, parseConfigText, readConfigFile, resolveConfigPath } from '../config/index.js'
import type { Config } from '../config/types.js'
import { BridgeError, ServiceUnreachableError, UsageError, describeError } from '../errors.js'
import { deadLetterJson } from '../http/dead-letters.js'
import { maskText } from '../secret-mask.js'
import type { DeadLetterSelection } from '../store/dead-letters.js'
import { FileStore } from '../store/file-store.js'
import { DB_FILE } from '../store/sqlite-queue.js'
import type { Command } from './args.js'

type DeadLetterCommand = Extract<Command, { kind: 'dead-letters-list' | 'dead-letters-replay' | 'dead-letters-purge' }>
type Listed = Record<string, unknown>

/** What a dead-letter command got: the dead letters listed or acted on, and from where. */
interface Outcome {
  letters: Listed[]
  /** `http://…` of the running service, or the store directory. */
  via: string
}

const HTTP_TIMEOUT_MS = 10_000

/**
 * `mainflux-export dead-letters list|replay|purge` (issue 10).
 *
 * While the service runs it holds the file store's lock (and a memory store lives in it alone), so
 * the command asks the service, over HTTP on its `[exp] port` (GET /dead-letters, POST
 * /dead-letters/replay|purge, with `http_token` when set): a replay then goes through the running
 * dispatcher, in order with what is queued. When nothing answers on that port, the service is not
 * running and the command opens the file store itself (`[store] path`); a replayed message is then
 * sent at the next start. If the store is locked all the same (the service runs but its port is
 * not reachable from here), it says so and changes nothing.
 */
export async function runDeadLetterCommand(command: DeadLetterCommand, env: NodeJS.ProcessEnv): Promise<number> {
  const out = (text: string): boolean => process.stdout.write(maskText(text))
  const err = (text: string): boolean => process.stderr.write(maskText(text))
  try {
    const config = await readConfig(resolveConfigPath(command.configPath, env), env)
    const outcome = (await viaService(config, command)) ?? (await viaStore(config, command))
    if (command.json) out(`${JSON.stringify(outcome.letters, null, 2)}\n`)
    else if (command.kind === 'dead-letters-list') out(formatList(outcome))
    else {
      const verb = command.kind === 'dead-letters-replay' ? 'queued again' : 'purged'
      out(`${outcome.letters.length} dead letter(s) ${verb}${outcome.letters.length > 0 ? `: ${outcome.letters.map((d) => String(d.seq)).join(' ')}` : ''} (${outcome.via})\n`)
      if (command.kind === 'dead-letters-replay' && outcome.via.startsWith('store ')) out('The service sends them, in their place in the queue, when it starts.\n')
    }
    const missing = missingSeqs(command, outcome.letters)
    if (missing.length > 0) {
      err(`mainflux-export: no dead letter with SEQ ${missing.join(' ')} (see dead-letters list)\n`)
      return 1
    }
    return 0
  } catch (e: unknown) {
    err(`mainflux-export: ${describeError(e)}\n`)
    return e instanceof UsageError ? 2 : 1
  }
}

/** The config as the service would read it, without writing the file when it is missing. */
async function readConfig(path: string, env: NodeJS.ProcessEnv): Promise<Config> {
  const text = await readConfigFile(path, { ifExists: true })
  if (text === undefined) return configFromEnv(env).config
  return configFromRaw(parseConfigText(text, path), { fileName: path, env }).config
}

/** The service's base URL: its `http_host`, or the loopback address when it listens on all interfaces. */
export function serviceUrl(config: Config): string {
  const host = config.exp.httpHost
  const name = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${name.includes(':') ? `[${name}]` : name}:${config.exp.port}`
}

/** Asks the running service; undefined when nothing listens on its port (it is not running). */
async function viaService(config: Config, command: DeadLetterCommand): Promise<Outcome | undefined> {
  const base = serviceUrl(config)
  const headers: Record<string, string> = config.exp.httpToken === '' ? {} : { authorization: `Bearer ${config.exp.httpToken}` }
  const request =
    command.kind === 'dead-letters-list'
      ? { url: `${base}/dead-letters`, init: { headers } }
      : {
          url: `${base}/dead-letters/${command.kind === 'dead-letters-replay' ? 'replay' : 'purge'}`,
          init: { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(command.selection === 'all' ? { all: true } : { seqs: command.selection }) },
        }
  let res: Response
  try {
    res = await fetch(request.url, { ...request.init, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })
  } catch (e: unknown) {
    if ((e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return undefined
    throw new ServiceUnreachableError(`the service at ${base} did not answer: ${describeError(e)}`, { cause: e })
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string; dead_letters?: Listed[]; seqs?: number[] }
  if (!res.ok) {
    const hint = res.status === 401 ? ' (set [exp] http_token or MF_EXPORT_HTTP_TOKEN as the service has it)' : ''
    throw new ServiceUnreachableError(`the service at ${base} answered ${res.status}: ${body.error ?? res.statusText}${hint}`)
  }
  if (command.kind === 'dead-letters-list') return { letters: body.dead_letters ?? [], via: base }
  return { letters: (body.seqs ?? []).map((seq) => ({ seq })), via: base }
}

/** Works on the file store directly: the service is not running. */
async function viaStore(config: Config, command: DeadLetterCommand): Promise<Outcome> {
  const url = serviceUrl(config)
  if (config.store.type === 'memory') {
    throw new ServiceUnreachableError(`nothing answers at ${url}, and with [store] type = "memory" the dead letters live only in the running service (they are lost when it stops)`)
  }
  const dir = resolve(config.store.path)
  if (!existsSync(join(dir, DB_FILE))) return { letters: [], via: `store ${dir} (none there yet)` }
  const quiet = { info: () => undefined, warn: () => undefined, error: (fields: object, message: string) => process.stderr.write(maskText(`${message}: ${JSON.stringify(fields)}\n`)) }
  const store = new FileStore({ path: dir, maxBytes: config.store.maxBytes, overflow: config.store.overflow, maxAgeMs: 0 }, quiet)
  try {
    await store.open({ available: () => undefined, dropped: () => undefined })
  } catch (e: unknown) {
    if (e instanceof BridgeError && /in use by another process/.test(e.message)) {
      throw new ServiceUnreachableError(
        `the store ${dir} is in use by the running service, whose HTTP port does not answer at ${url}: run this where that address is reachable (or set [exp] http_host to it); nothing was changed`,
        { cause: e },
      )
    }
    throw e
  }
  try {
    const via = `store ${dir}, the service not running`
    if (command.kind === 'dead-letters-list') return { letters: store.deadLetters().map(deadLetterJson), via }
    const selection: DeadLetterSelection = command.selection
    const done = command.kind === 'dead-letters-replay' ? store.replayDeadLetters(selection) : store.purgeDeadLetters(selection)
    return { letters: done.map(deadLetterJson), via }
  } finally {
    await store.close()
  }
}

function formatList(outcome: Outcome): string {
  if (outcome.letters.length === 0) return `no dead letters (${outcome.via})\n`
  const rows = outcome.letters.map((d) => [String(d.seq), String(d.route), String(d.reason), String(d.bytes), String(d.dead_lettered_at), String(d.topic)])
  const header = ['SEQ', 'ROUTE', 'REASON', 'BYTES', 'DEAD-LETTERED AT', 'TOPIC']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`
  let text = line(header)
  outcome.letters.forEach((d, i) => {
    text += line(rows[i]!)
    text += `    ${String(d.detail)}\n`
  })
  return `${text}${outcome.letters.length} dead letter(s) (${outcome.via})\n`
}

function missingSeqs(command: DeadLetterCommand, letters: readonly Listed[]): number[] {
  if (command.kind === 'dead-letters-list' || command.selection === 'all') return []
  const found = new Set(letters.map((d) => d.seq))
  return command.selection.filter((seq) => !found.has(seq))
}
