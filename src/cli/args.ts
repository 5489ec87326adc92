import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import type { DeadLetterSelection } from '../store/dead-letters.js'
import { checkAgentPath } from '../agent/agent-file.js'

export type Command =
  | { kind: 'run'; configPath: string | undefined }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'config-check'; file: string | undefined }
  | { kind: 'config-encode'; file: string | undefined }
  | { kind: 'config-agent-command'; file: string; path: string | undefined }
  | { kind: 'dead-letters-list'; configPath: string | undefined; json: boolean }
  | { kind: 'dead-letters-replay' | 'dead-letters-purge'; configPath: string | undefined; selection: DeadLetterSelection; json: boolean }

export const USAGE = `Usage:
  mainflux-export [--config FILE]          run the bridge
  mainflux-export --version                print the version
  mainflux-export --help                   print this help
  mainflux-export config check [FILE]      validate a config file and print the effective
                                           configuration (secrets masked)
  mainflux-export config encode [FILE]     print the file as base64, as the Agent's save command wants it
  mainflux-export config agent-command --file FILE [--path PATH]
                                           print the SenML control message that makes the Mainflux
                                           Agent save FILE at PATH (default: the config path); the
                                           file is sent with the key names and value types the
                                           Agent takes, and keys it would drop are named
  mainflux-export dead-letters list [--json]
                                           list the messages taken out of their queue because
                                           they would block it (invalid topic, too large, the
                                           broker drops the connection for them)
  mainflux-export dead-letters replay (--all | SEQ...)
                                           queue them again, at their place in their route's queue
  mainflux-export dead-letters purge (--all | SEQ...)
                                           delete them for good
                                           These ask the running service (its [exp] port, with
                                           http_token); if none runs, they work on the file store
                                           of the config ([store] path) directly.

The config file is --config FILE, else $MF_EXPORT_CONFIG_FILE, else ../configs/config.toml.
`

/** Parses the command line (USAGE above; the README's "Command line"). Throws UsageError with a message fit for the terminal. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        file: { type: 'string' },
        path: { type: 'string' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    })
  } catch (err: unknown) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
  const { values, positionals } = parsed
  if (values.help) return { kind: 'help' }
  if (values.version) return { kind: 'version' }
  const [first, second, third, ...rest] = positionals
  if (first === undefined) return { kind: 'run', configPath: values.config }
  if (first === 'dead-letters') return deadLettersCommand(positionals.slice(1), values)
  if (first !== 'config') throw new UsageError(`unknown command "${first}"`)
  const extra = rest.length > 0 ? rest : []
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`)
  const file = third ?? values.file ?? values.config
  switch (second) {
    case 'check':
      return { kind: 'config-check', file }
    case 'encode':
      return { kind: 'config-encode', file }
    case 'agent-command':
      if (file === undefined) throw new UsageError('config agent-command needs --file FILE')
      if (values.path !== undefined) checkAgentPath(values.path, '--path')
      return { kind: 'config-agent-command', file, path: values.path }
    default:
      throw new UsageError(second === undefined ? 'config needs a subcommand: check, encode or agent-command' : `unknown config subcommand "${second}"`)
  }
}

/** `dead-letters list|replay|purge`: a replay or purge names its dead letters, or says --all. */
function deadLettersCommand(args: readonly string[], values: { config?: string; all?: boolean; json?: boolean }): Command {
  const [action, ...seqTexts] = args
  const common = { configPath: values.config, json: values.json === true }
  if (action === 'list') {
    if (seqTexts.length > 0 || values.all === true) throw new UsageError('dead-letters list takes no SEQ and no --all')
    return { kind: 'dead-letters-list', ...common }
  }
  if (action !== 'replay' && action !== 'purge') {
    throw new UsageError(action === undefined ? 'dead-letters needs a subcommand: list, replay or purge' : `unknown dead-letters subcommand "${action}"`)
  }
  if ((values.all === true) === seqTexts.length > 0) throw new UsageError(`dead-letters ${action} needs --all or the SEQ numbers of dead letters (see dead-letters list), not both`)
  const seqs = seqTexts.map((t) => {
    const n = Number(t)
    if (!/^\d+$/.test(t) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`dead-letters ${action}: "${t}" is not a SEQ number (see dead-letters list)`)
    return n
  })
  return { kind: action === 'replay' ? 'dead-letters-replay' : 'dead-letters-purge', ...common, selection: values.all === true ? 'all' : seqs }
}
