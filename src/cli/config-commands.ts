import { stringify } from 'smol-toml'
import { agentCommand, agentTarget } from '../agent/agent-command.js'
import { configFromRaw, parseConfigText, readConfigFile, resolveConfigPath, toFileObject } from '../config/index.js'
import { UsageError, describeError } from '../errors.js'
import { maskSecrets, maskText } from '../secret-mask.js'
import type { Command } from './args.js'

type ConfigCommand = Extract<Command, { kind: 'config-check' | 'config-encode' | 'config-agent-command' }>

/**
 * `config check|encode|agent-command` (the README's "Configuration" and docs/operations.md,
 * "The Agent's `save` command"). Returns the exit code: 0, 1 for a bad file, 2 for bad usage. What
 * is printed is masked (src/secret-mask.ts), except the base64 of the file that `encode` and
 * `agent-command` exist to print.
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
      case 'config-agent-command':
        out(`${agentCommand(text, path, target, (line) => err(`${line}\n`))}\n`)
        return 0
    }
  } catch (e: unknown) {
    err(`mainflux-export: ${describeError(e)}\n`)
    return e instanceof UsageError ? 2 : 1
  }
}
