import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { requireBinary } from './binaries.js'
import type { Certs } from './certs.js'
import { portWasTaken, startBroker, startDaemon } from './daemon.js'
import type { BrokerProcess, Daemon } from './daemon.js'
import { freePort, retryWhilePortTaken } from './free-port.js'
import { makeTempDir, removeDir } from './temp-dir.js'

const run = promisify(execFile)

/** A username and password the broker accepts. */
export interface MosquittoUser {
  username: string
  password: string
}

/** Options of {@link startMosquitto}. */
export interface MosquittoOptions {
  /** When given, anonymous clients are refused and only these users may connect. */
  users?: MosquittoUser[]
  /** Text of a mosquitto ACL file (`user u` / `topic readwrite t/#` lines). */
  acl?: string
  /** Adds a TLS listener with the broker certificate of `certs`, trusting `certs.ca` for clients. */
  tls?: { certs: Certs; requireCertificate: boolean }
  /** Plain listener port; default: a free one. */
  port?: number
  /** TLS listener port; default: a free one. */
  tlsPort?: number
  /** Keep sessions and queued QoS 1/2 messages across {@link Mosquitto.restart} (saved at SIGTERM). */
  persistence?: boolean
  /** Extra lines appended to the config. */
  extraConfig?: string
  /** Deadline for the listeners to accept connections; default 10 s. */
  startTimeoutMs?: number
}

/** A mosquitto broker on 127.0.0.1 owned by a test; {@link BrokerProcess.restart} keeps its config. */
export interface Mosquitto extends BrokerProcess {
  readonly port: number
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string
  readonly tlsPort: number | undefined
  /** `mqtts://localhost:<tlsPort>`: the host name matches the broker certificate. */
  readonly tlsUrl: string | undefined
  /** Path of the generated mosquitto.conf. */
  readonly configPath: string
}

/** Starts a private mosquitto on free loopback ports (never the machine's shared 1883). */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = requireBinary('mosquitto')
  const dir = await makeTempDir('mosquitto')
  try {
    const files = await writeSecurityFiles(dir, opts)
    // With chosen ports there is nothing to retry; free ones may be taken before mosquitto binds them.
    const attempts = opts.port === undefined && opts.tlsPort === undefined ? 3 : 1
    return await retryWhilePortTaken(
      async () => {
        const port = opts.port ?? (await freePort())
        const tlsPort = opts.tls === undefined ? undefined : (opts.tlsPort ?? (await freePort()))
        const configPath = join(dir, 'mosquitto.conf')
        await writeFile(configPath, renderConfig({ ...opts, port, tlsPort, dir, ...files }))
        return launch(binary, { port, tlsPort, configPath, dir, startTimeoutMs: opts.startTimeoutMs ?? 10_000 })
      },
      portWasTaken,
      attempts,
    )
  } catch (err: unknown) {
    await removeDir(dir)
    throw err
  }
}

async function writeSecurityFiles(
  dir: string,
  opts: MosquittoOptions,
): Promise<{ passwordFile: string | undefined; aclFile: string | undefined }> {
  let passwordFile: string | undefined
  if (opts.users !== undefined && opts.users.length > 0) {
    passwordFile = join(dir, 'passwords')
    const passwd = requireBinary('mosquitto_passwd')
    // -b per user rather than -U on a plaintext file: -U splits each line at the first ':', so a
    // password with a ':' in it would be stored differently from what the test asked for.
    for (const [i, user] of opts.users.entries()) {
      const args = [...(i === 0 ? ['-c'] : []), '-b', passwordFile, user.username, user.password]
      try {
        await run(passwd, args)
      } catch (err: unknown) {
        throw new Error(`mosquitto_passwd failed for user "${user.username}"`, { cause: err })
      }
    }
  }
  let aclFile: string | undefined
  if (opts.acl !== undefined) {
    aclFile = join(dir, 'acl')
    await writeFile(aclFile, opts.acl.endsWith('\n') ? opts.acl : `${opts.acl}\n`)
  }
  return { passwordFile, aclFile }
}

interface ConfigInput extends MosquittoOptions {
  port: number
  tlsPort: number | undefined
  dir: string
  passwordFile: string | undefined
  aclFile: string | undefined
}

/** Renders mosquitto.conf (mosquitto 2.0 syntax). Exported for the unit test of the config text. */
export function renderConfig(c: ConfigInput): string {
  const lines = [
    // Global auth: the same users and ACL on the plain and the TLS listener.
    'per_listener_settings false',
    // Started as root, mosquitto switches to user "mosquitto", which cannot read the 0700 temp dir
    // ("Unable to open pwfile", exit 13, seen with 2.0.11). Staying root is harmless for a
    // loopback test broker; as non-root the line has no effect.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
    c.persistence === true ? 'persistence true' : 'persistence false',
    ...(c.persistence === true ? [`persistence_location ${c.dir}/`, 'autosave_interval 0'] : []),
    // The defaults (20 in flight, 1000 queued per client) make the broker itself drop a burst to a
    // slow test subscriber, which a test would then blame on the bridge. 0 means unlimited.
    'max_inflight_messages 0',
    'max_queued_messages 0',
    'max_queued_bytes 0',
    `allow_anonymous ${c.passwordFile === undefined ? 'true' : 'false'}`,
    ...(c.passwordFile !== undefined ? [`password_file ${c.passwordFile}`] : []),
    ...(c.aclFile !== undefined ? [`acl_file ${c.aclFile}`] : []),
    '',
    `listener ${c.port} 127.0.0.1`,
  ]
  if (c.tls !== undefined && c.tlsPort !== undefined) {
    const { certs, requireCertificate } = c.tls
    lines.push(
      '',
      `listener ${c.tlsPort} 127.0.0.1`,
      `cafile ${certs.ca.certPath}`,
      `certfile ${certs.server.certPath}`,
      `keyfile ${certs.server.keyPath}`,
      `require_certificate ${requireCertificate ? 'true' : 'false'}`,
      // The bridge authenticates with username/password even over mTLS, as Mainflux does.
      'use_identity_as_username false',
    )
  }
  if (c.extraConfig !== undefined) lines.push('', c.extraConfig)
  return `${lines.join('\n')}\n`
}

interface LaunchOptions {
  port: number
  tlsPort: number | undefined
  configPath: string
  dir: string
  startTimeoutMs: number
}

async function launch(binary: string, o: LaunchOptions): Promise<Mosquitto> {
  const spawnOnce = (): Promise<Daemon> =>
    startDaemon({
      name: 'mosquitto',
      command: binary,
      args: ['-c', o.configPath],
      readyPorts: o.tlsPort === undefined ? [o.port] : [o.port, o.tlsPort],
      startTimeoutMs: o.startTimeoutMs,
    })
  return startBroker(`mosquitto on port ${o.port}`, spawnOnce, () => removeDir(o.dir), {
    port: o.port,
    url: `mqtt://127.0.0.1:${o.port}`,
    tlsPort: o.tlsPort,
    tlsUrl: o.tlsPort === undefined ? undefined : `mqtts://localhost:${o.tlsPort}`,
    configPath: o.configPath,
  })
}
