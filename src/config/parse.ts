import { ConfigError } from '../errors.js'
import { rememberSecrets, secretsInRaw } from '../secret-mask.js'
import { describeValue } from './coerce.js'
import { Issues, isTable } from './issues.js'
import { NEW_KEY_VARIABLES, NewKeyEnv } from './new-key-env.js'
import { TableReader } from './table-reader.js'
import { readRoutes } from './parse-routes.js'
import { readExp, readMqtt, readStore } from './parse-sections.js'
import type { Config } from './types.js'

/** Where a raw configuration came from, for messages and the variables of the new keys. */
export interface RawConfigContext {
  /** Names the source in every message: the file path, or `environment`. */
  fileName: string
  /** Supplies the variables of the new keys the file leaves out (docs/configuration.md). */
  env: NodeJS.ProcessEnv
}

/** A validated configuration and the warnings (unknown keys, legacy keys…) to log once. */
export interface ParsedConfig {
  config: Config
  warnings: string[]
}

// `File` / `file` is written by the Agent (the Go struct's own path); it means nothing to us.
const TOP_LEVEL_KEYS = new Set(['exp', 'mqtt', 'store', 'routes', 'File', 'file'])

/**
 * Turns a parsed TOML/JSON document into the effective configuration (docs/configuration.md):
 * aliases, defaults, string forms of booleans and numbers, and the environment variables of the
 * new keys that are absent (or blank) in the file.
 *
 * @throws ConfigError (EXP_CONFIG_INVALID) listing every problem, one per line, each naming the
 *   file and key (`config.toml: [mqtt] qos: expected 0, 1 or 2, found "high"`) or the variable.
 *
 * Every configuration passes here (file, environment, reload, CLI), so this is where its secrets
 * are handed to the masking module, before any message about the document can be written; the
 * variables of the new keys that are secrets are handed over too.
 */
export function configFromRaw(raw: unknown, ctx: RawConfigContext): ParsedConfig {
  rememberSecrets(secretsInRaw(raw))
  rememberSecrets(secretsInRaw({ http_token: ctx.env[NEW_KEY_VARIABLES['[exp] http_token']] ?? '' }))
  const issues = new Issues(ctx.fileName)
  if (!isTable(raw)) {
    throw new ConfigError(`${ctx.fileName}: expected a table of settings at the top level, found ${describeValue(raw)}`)
  }
  new TableReader(issues, raw, (key) => key).warnUnknown(TOP_LEVEL_KEYS)
  const env = new NewKeyEnv(ctx.env, issues)
  const config: Config = {
    exp: readExp(issues, raw, env),
    mqtt: readMqtt(issues, raw, env),
    store: readStore(issues, raw, env),
    routes: readRoutes(issues, raw, env),
  }
  if (issues.errors.length > 0) throw new ConfigError(issues.errors.join('\n'))
  return { config, warnings: issues.warnings }
}
