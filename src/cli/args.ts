import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import { checkAgentPath } from './agent-file.js'

export type Command =
  | { kind: 'run'; configPath: string | undefined }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'config-check'; file: string | undefined }
  | { kind: 'config-encode'; file: string | undefined }
  | { kind: 'config-agent-command'; file: string; path: string | undefined }

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

The config file is --config FILE, else $MF_EXPORT_CONFIG_FILE, else ../configs/config.toml.
`

/** Parses the command line (SPEC §9). Throws UsageError with a message fit for the terminal. */
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
