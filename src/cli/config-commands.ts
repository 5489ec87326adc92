import { readFile } from 'node:fs/promises'
import { stringify } from 'smol-toml'
import { DEFAULT_CONFIG_PATH, configFromRaw, parseConfigText, resolveConfigPath, toFileObject } from '../config/index.js'
import { ConfigError, UsageError, describeError } from '../errors.js'
import { maskSecrets, maskText } from '../secret-mask.js'
import { agentReadyToml, checkAgentPath } from './agent-file.js'
import { agentHint, keysDroppedByAgent } from './agent-keys.js'
import type { Command } from './args.js'

type ConfigCommand = Extract<Command, { kind: 'config-check' | 'config-encode' | 'config-agent-command' }>

async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err: unknown) {
    throw new ConfigError(`${path}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err, code: 'EXP_CONFIG_UNREADABLE' })
  }
}

/** Where `agent-command` tells the Agent to save the file: `--path`, else the config path of the service. */
function agentTarget(pathArg: string | undefined, env: NodeJS.ProcessEnv): string {
  if (pathArg !== undefined) return checkAgentPath(pathArg, '--path')
  const path = resolveConfigPath(undefined, env)
  return checkAgentPath(path, path === DEFAULT_CONFIG_PATH ? 'the default config path' : 'MF_EXPORT_CONFIG_FILE')
}

/**
 * `config check|encode|agent-command` (SPEC §9). Returns the exit code: 0, 1 for a bad file, 2 for
 * bad usage. What is printed is masked (src/secret-mask.ts), except the base64 of the file that
 * `encode` and `agent-command` exist to print.
 */
export async function runConfigCommand(command: ConfigCommand, env: NodeJS.ProcessEnv): Promise<number> {
  const out = (text: string): boolean => process.stdout.write(text)
  const err = (text: string): boolean => process.stderr.write(maskText(text))
  try {
    // Checked before the file is read: a target the Agent cannot carry is wrong whatever the file.
    const target = command.kind === 'config-agent-command' ? agentTarget(command.path, env) : ''
    const path = command.kind === 'config-agent-command' ? command.file : (command.file ?? resolveConfigPath(undefined, env))
    const text = await readConfigFile(path)
    switch (command.kind) {
      case 'config-check': {
        const { config, warnings } = configFromRaw(parseConfigText(text, path), { fileName: path, env })
        for (const w of warnings) err(`warning: ${w}\n`)
        out(`# ${path}: valid. Effective configuration (secrets masked):\n`)
        out(maskText(`${stringify(maskSecrets(toFileObject(config)))}\n`))
        return 0
      }
      case 'config-encode':
        out(`${Buffer.from(text).toString('base64')}\n`)
        return 0
      case 'config-agent-command': {
        const raw = parseConfigText(text, path)
        // Validate as the service would, so a broken file is caught before it reaches a gateway.
        const { warnings } = configFromRaw(raw, { fileName: path, env: {} })
        for (const w of warnings) err(`warning: ${w}\n`)
        const agentFile = agentReadyToml(raw)
        for (const note of agentFile.notes) err(`note: ${path}: ${note}\n`)
        for (const key of keysDroppedByAgent(parseConfigText(agentFile.text, path))) {
          const hint = agentHint(key)
          err(`warning: ${path}: ${key} will be dropped by the Agent when it rewrites the file${hint ? `; ${hint}` : ''}\n`)
        }
        const senml = [{ bn: '1:', n: 'config', vs: `save, export, ${target}, ${Buffer.from(agentFile.text).toString('base64')}` }]
        out(`${JSON.stringify(senml)}\n`)
        return 0
      }
    }
  } catch (e: unknown) {
    err(`mainflux-export: ${describeError(e)}\n`)
    return e instanceof UsageError ? 2 : 1
  }
}
