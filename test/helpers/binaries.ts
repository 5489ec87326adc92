import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** External programs the integration and fault tests run. */
export type BinaryName =
  | 'nats-server'
  | 'mosquitto'
  | 'mosquitto_passwd'
  | 'mosquitto_pub'
  | 'mosquitto_sub'
  | 'openssl'

// Debian packages that ship each binary; the hint installs the whole test toolset at once so that a
// fresh machine needs one command, not one failed run per missing program.
const BROKER_PACKAGES = 'apt-get install -y nats-server mosquitto mosquitto-clients'
const INSTALL_HINTS: Record<BinaryName, string> = {
  'nats-server': BROKER_PACKAGES,
  mosquitto: BROKER_PACKAGES,
  mosquitto_passwd: BROKER_PACKAGES,
  mosquitto_pub: BROKER_PACKAGES,
  mosquitto_sub: BROKER_PACKAGES,
  openssl: 'apt-get install -y openssl',
}

// Daemons live in sbin, which is not on PATH for every user or CI shell.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin']

/** Thrown by {@link requireBinary} when a program is not installed; the message says how to install it. */
export class MissingBinaryError extends Error {
  override readonly name = 'MissingBinaryError'
  readonly binary: BinaryName
  constructor(binary: BinaryName, searched: readonly string[]) {
    super(`${binary} not found: install it with "${INSTALL_HINTS[binary]}"`, {
      cause: new Error(`searched ${searched.join(delimiter)}`),
    })
    this.binary = binary
  }
}

const found = new Map<BinaryName, string>()

/**
 * Returns the absolute path of an external program, searching PATH and then the sbin directories.
 *
 * @param dirs - directories to search instead of PATH and sbin (for tests of this helper).
 * @throws {MissingBinaryError} with an install hint, e.g.
 *   `nats-server not found: install it with "apt-get install -y nats-server mosquitto mosquitto-clients"`.
 */
export function requireBinary(name: BinaryName, dirs?: readonly string[]): string {
  const cached = dirs === undefined ? found.get(name) : undefined
  if (cached !== undefined) return cached
  const searched = dirs ?? [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS]
  for (const dir of searched) {
    const candidate = join(dir, name)
    if (isExecutableFile(candidate)) {
      if (dirs === undefined) found.set(name, candidate)
      return candidate
    }
  }
  throw new MissingBinaryError(name, searched)
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    // Not there or not executable: the caller goes on to the next directory.
    return false
  }
}
