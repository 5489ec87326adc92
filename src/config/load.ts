import { randomBytes } from 'node:crypto'
import { link, mkdir, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { describeError } from '../errors.js'
import { configFromEnv } from './env.js'
import { stringify as stringifyToml } from 'smol-toml'
import { parseConfigText, toGoFileObject } from './file-format.js'
import { configFromRaw } from './parse.js'
import { errorCode, readConfigFile } from './read-config-file.js'
import type { Config } from './types.js'

/** Where the config file is looked for when neither `--config` nor `MF_EXPORT_CONFIG_FILE` is set. */
export const DEFAULT_CONFIG_PATH = '../configs/config.toml'

/** The result of {@link loadConfig}. */
export interface LoadedConfig {
  config: Config
  /** To log once at startup or reload (unknown keys, legacy keys, aliases that disagree…). */
  warnings: string[]
  /** `file` when the config file existed; `env` when it was built from the environment. */
  origin: 'file' | 'env'
  /** The config file path used. */
  path: string
  /** Set when the environment-built config could not be written to `path` (not fatal). */
  writeError?: string
}

/** The config file path: `--config`, else `MF_EXPORT_CONFIG_FILE`, else `../configs/config.toml`. */
export function resolveConfigPath(argPath: string | undefined, env: NodeJS.ProcessEnv): string {
  if (argPath !== undefined && argPath !== '') return argPath
  const fromEnv = env['MF_EXPORT_CONFIG_FILE']
  return fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv : DEFAULT_CONFIG_PATH
}

/**
 * Loads the configuration as docs/configuration.md ("Where the configuration comes from") says. An
 * existing file is the whole configuration (plus the variables of the new keys it leaves out) and
 * is never written to. A missing file
 * (ENOENT) means the configuration comes from the environment and is then written to `path`,
 * with parent directories, so that the operator can edit it.
 *
 * @throws ConfigError EXP_CONFIG_UNREADABLE when the file exists but cannot be read (EACCES,
 *   EISDIR…); EXP_CONFIG_INVALID when it cannot be parsed or validated, or the environment is bad.
 */
export async function loadConfig(opts: { path: string; env: NodeJS.ProcessEnv }): Promise<LoadedConfig> {
  const { path, env } = opts
  const text = await readConfigFile(path, { ifExists: true })
  if (text === undefined) {
    const { config, warnings } = configFromEnv(env)
    const writeError = await writeNewConfigFile(path, config)
    return writeError === undefined
      ? { config, warnings, origin: 'env', path }
      : { config, warnings, origin: 'env', path, writeError }
  }
  const { config, warnings } = configFromRaw(parseConfigText(text, path), { fileName: path, env })
  return { config, warnings, origin: 'file', path }
}

const HEADER = `# mainflux-export configuration, written from the environment because this file did not exist.
# It is never rewritten: edit it, check it with \`mainflux-export config check\`, then reload.
# It has the keys of the Go export service. The newer ones ([store], client_id, keep_alive, …)
# come from their MF_EXPORT_* variables and defaults until you add them here.
`

/**
 * Writes the environment-built config without ever replacing a file: the text goes to a temporary
 * file first and is hard-linked into place, which fails if `path` appeared meanwhile, and a power
 * cut cannot leave a half-written config behind. Returns the reason on failure.
 */
async function writeNewConfigFile(path: string, config: Config): Promise<string | undefined> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const text = `${HEADER}${stringifyToml(toGoFileObject(config)).trimEnd()}\n`
  try {
    await mkdir(dirname(path), { recursive: true })
    // 0600: the file holds the MQTT password and possibly the client key.
    await writeFile(temp, text, { mode: 0o600, flush: true })
  } catch (err: unknown) {
    return `cannot write ${path}: ${describeError(err)}`
  }
  let failure: string | undefined
  try {
    await linkOrCreate(temp, path, text)
  } catch (err: unknown) {
    failure = `cannot write ${path}: ${describeError(err)}`
  }
  try {
    await unlink(temp)
  } catch (err: unknown) {
    failure ??= `wrote ${path} but could not remove ${temp}: ${describeError(err)}`
  }
  return failure
}

async function linkOrCreate(temp: string, path: string, text: string): Promise<void> {
  try {
    await link(temp, path)
  } catch (err: unknown) {
    const code = errorCode(err)
    // Some filesystems (vfat on SD cards) have no hard links: create exclusively instead.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      await writeFile(path, text, { mode: 0o600, flag: 'wx', flush: true })
      return
    }
    throw err
  }
}
