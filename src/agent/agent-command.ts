import { DEFAULT_CONFIG_PATH, configFromRaw, parseConfigText, resolveConfigPath } from '../config/index.js'
import { agentReadyToml, checkAgentPath } from './agent-file.js'
import { agentHint, keysDroppedByAgent } from './dropped-keys.js'

/** Where `agent-command` tells the Agent to save the file: `--path`, else the config path of the service. */
export function agentTarget(pathArg: string | undefined, env: NodeJS.ProcessEnv): string {
  if (pathArg !== undefined) return checkAgentPath(pathArg, '--path')
  const path = resolveConfigPath(undefined, env)
  return checkAgentPath(path, path === DEFAULT_CONFIG_PATH ? 'the default config path' : 'MF_EXPORT_CONFIG_FILE')
}

/**
 * `config agent-command`: the SenML control message that makes the Agent save the config file
 * `text` (read from `path`) at `target`, as one JSON line. The file is validated as the service
 * would, so that a broken file is caught before it reaches a gateway, and sent with the key names
 * and value types the Agent takes; `warn` receives the validation warnings, what was rewritten,
 * and the keys the Agent will still drop.
 *
 * @throws ConfigError when the file does not parse or validate.
 */
export function agentCommand(text: string, path: string, target: string, warn: (line: string) => void): string {
  const raw = parseConfigText(text, path)
  const { warnings } = configFromRaw(raw, { fileName: path, env: {} })
  for (const w of warnings) warn(`warning: ${w}`)
  const agentFile = agentReadyToml(raw)
  for (const note of agentFile.notes) warn(`note: ${path}: ${note}`)
  for (const key of keysDroppedByAgent(parseConfigText(agentFile.text, path))) {
    const hint = agentHint(key)
    warn(`warning: ${path}: ${key} will be dropped by the Agent when it rewrites the file${hint ? `; ${hint}` : ''}`)
  }
  const senml = [{ bn: '1:', n: 'config', vs: `save, export, ${target}, ${Buffer.from(agentFile.text).toString('base64')}` }]
  return JSON.stringify(senml)
}
