import { readFile } from 'node:fs/promises'
import { ConfigError, describeError } from '../errors.js'

/**
 * The text of the config file, for every reader of it (start, reload, the CLI), so that a file that
 * cannot be read is reported in one wording. With `{ ifExists: true }`, a file that does not exist
 * gives `undefined`: at start that means "build the configuration from the environment".
 *
 * @throws ConfigError EXP_CONFIG_UNREADABLE `<path>: cannot read the config file: <reason>` (EACCES,
 *   EISDIR…, and ENOENT unless `ifExists`).
 */
export async function readConfigFile(path: string): Promise<string>
export async function readConfigFile(path: string, opts: { ifExists: true }): Promise<string | undefined>
export async function readConfigFile(path: string, opts?: { ifExists: true }): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err: unknown) {
    if (opts?.ifExists === true && errorCode(err) === 'ENOENT') return undefined
    throw new ConfigError(`${path}: cannot read the config file: ${describeError(err)}`, { cause: err, code: 'EXP_CONFIG_UNREADABLE' })
  }
}

/** The `code` of a Node.js system error (`ENOENT`, `EPERM`…), if it has one. */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined
}
