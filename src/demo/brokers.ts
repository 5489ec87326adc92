import { accessSync, constants, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { startChild } from './child.js'
import type { DemoChild } from './child.js'
import { PORT_TAKEN, canConnect, freePort, pollUntil, retryWhilePortTaken } from './net.js'

/** A broker the demo runs on 127.0.0.1. */
export interface DemoBroker {
  readonly child: DemoChild
  readonly port: number
  readonly url: string
}

/** The Debian/Ubuntu packages of the two brokers, named in the error when one is missing. */
export const BROKERS_INSTALL_HINT = 'sudo apt-get install -y nats-server mosquitto'

// Daemons live in sbin, which is not on every user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin']

/** Thrown when nats-server or mosquitto is not installed; the message says how to install it. */
export class MissingProgramError extends Error {
  override readonly name = 'MissingProgramError'
}

/**
 * The absolute path of `name`, from PATH or the sbin directories (or from `dirs`, for tests).
 * @throws {MissingProgramError} `nats-server not found (…): install it with "sudo apt-get install -y nats-server mosquitto"`.
 */
export function findProgram(name: string, dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS]): string {
  for (const dir of dirs) {
    const path = join(dir, name)
    try {
      accessSync(path, constants.X_OK)
      if (statSync(path).isFile()) return path
    } catch {
      // not in this directory: try the next one
    }
  }
  throw new MissingProgramError(`${name} not found (searched ${dirs.join(delimiter)}): install it with "${BROKERS_INSTALL_HINT}"`)
}

const START_TIMEOUT_MS = 10_000

/** Starts a program that listens on a free port, trying new ports when another process takes one first. */
function startOnFreePort(name: string, launch: (port: number) => Promise<DemoChild>): Promise<DemoBroker> {
  const startOnce = async (): Promise<DemoBroker> => {
    const port = await freePort()
    const child = await launch(port)
    const failed = await pollUntil(
      () => canConnect(port),
      () => (child.exitedHow !== undefined ? `exited (${child.exitedHow})` : undefined),
      START_TIMEOUT_MS,
    )
    if (failed === undefined) return { child, port, url: `127.0.0.1:${port}` }
    await child.stop(2000)
    throw new BrokerStartError(`${name} did not start on port ${port}: ${failed}\n${child.output().slice(-2000)}`, PORT_TAKEN.test(child.output()))
  }
  return retryWhilePortTaken(startOnce, (err) => err instanceof BrokerStartError && err.portTaken)
}

/** A demo broker that did not start; `portTaken` when another process had taken its port. */
class BrokerStartError extends Error {
  override readonly name = 'BrokerStartError'
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message)
  }
}

/** A core NATS server (no JetStream: the demo's routes are core subscriptions). */
export async function startDemoNats(): Promise<DemoBroker> {
  const binary = findProgram('nats-server')
  const broker = await startOnFreePort('nats-server', (port) =>
    Promise.resolve(startChild('nats-server', binary, ['-a', '127.0.0.1', '-p', String(port)])),
  )
  return { ...broker, url: `nats://127.0.0.1:${broker.port}` }
}

/** A Mosquitto broker, the demo's "cloud", with its config in `dir`. */
export async function startDemoMosquitto(dir: string): Promise<DemoBroker> {
  const binary = findProgram('mosquitto')
  const broker = await startOnFreePort('mosquitto', async (port) => {
    const configPath = join(dir, 'mosquitto.conf')
    await writeFile(configPath, mosquittoConfig(port))
    return startChild('mosquitto', binary, ['-c', configPath])
  })
  return { ...broker, url: `mqtt://127.0.0.1:${broker.port}` }
}

function mosquittoConfig(port: number): string {
  return [
    'per_listener_settings false',
    'persistence false',
    'log_dest stderr',
    'allow_anonymous true',
    // Mosquitto's default of 20 in flight would throttle the drain after a cut more than the bridge does.
    'max_inflight_messages 0',
    'max_queued_messages 0',
    `listener ${port} 127.0.0.1`,
    '',
  ].join('\n')
}
