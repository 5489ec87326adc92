import { requireBinary } from './binaries.js'
import { portWasTaken, startBroker, startDaemon } from './daemon.js'
import type { BrokerProcess, Daemon } from './daemon.js'
import { freePort, retryWhilePortTaken } from './free-port.js'
import { makeTempDir, removeDir } from './temp-dir.js'

/** Options of {@link startNats}. */
export interface NatsServerOptions {
  /** Enable JetStream, stored in `storeDir`. */
  jetstream?: boolean
  /** Client port; default: a free one. */
  port?: number
  /** JetStream store directory; default: a temp dir owned (and removed) by the server object. */
  storeDir?: string
  /** Extra command-line arguments for nats-server. */
  args?: readonly string[]
  /** Deadline for the server to accept connections (and JetStream to be ready); default 10 s. */
  startTimeoutMs?: number
}

/** A nats-server process on 127.0.0.1 owned by a test; {@link BrokerProcess.restart} keeps its JetStream store, so streams survive. */
export interface NatsServer extends BrokerProcess {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** HTTP monitoring port (`/healthz`, `/varz`, `/jsz`). */
  readonly monitorPort: number
  /** JetStream store directory, when JetStream is on. */
  readonly storeDir: string | undefined
}

/** Starts a private nats-server on a free loopback port (never the machine's shared 4222). */
export async function startNats(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = requireBinary('nats-server')
  const ownedStore = opts.jetstream === true && opts.storeDir === undefined
  const storeDir = opts.jetstream === true ? (opts.storeDir ?? (await makeTempDir('nats-js'))) : undefined
  // With a chosen port there is nothing to retry; with a free one, another process may take it
  // between freePort() and the bind, so a few fresh ports are tried.
  const attempts = opts.port === undefined ? 3 : 1
  const startOnce = async (): Promise<NatsServer> => {
    const port = opts.port ?? (await freePort())
    const monitorPort = await freePort()
    return launch(binary, { ...opts, port, monitorPort, storeDir, ownedStore })
  }
  try {
    return await retryWhilePortTaken(startOnce, portWasTaken, attempts)
  } catch (err: unknown) {
    if (ownedStore && storeDir !== undefined) await removeDir(storeDir)
    throw err
  }
}

interface LaunchOptions extends NatsServerOptions {
  port: number
  monitorPort: number
  storeDir: string | undefined
  ownedStore: boolean
}

async function launch(binary: string, o: LaunchOptions): Promise<NatsServer> {
  // The monitor port binds to the -a address too, i.e. loopback only.
  const args = ['-a', '127.0.0.1', '-p', String(o.port), '-m', String(o.monitorPort)]
  if (o.storeDir !== undefined) args.push('-js', '-sd', o.storeDir)
  args.push(...(o.args ?? []))

  const spawnOnce = (): Promise<Daemon> =>
    startDaemon({
      name: 'nats-server',
      command: binary,
      args,
      readyPorts: [o.port, o.monitorPort],
      // A client port that accepts is not enough with JetStream: /healthz answers 200 only once
      // JetStream has recovered its streams from the store, which matters after restart().
      ready: () => healthy(o.monitorPort),
      startTimeoutMs: o.startTimeoutMs ?? 10_000,
    })

  const removeOwnedStore = async (): Promise<void> => {
    if (o.ownedStore && o.storeDir !== undefined) await removeDir(o.storeDir)
  }
  return startBroker(`nats-server on port ${o.port}`, spawnOnce, removeOwnedStore, {
    url: `nats://127.0.0.1:${o.port}`,
    port: o.port,
    monitorPort: o.monitorPort,
    storeDir: o.storeDir,
  })
}

async function healthy(monitorPort: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz`)
  await res.body?.cancel()
  return res.ok
}

/** Options of {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** Nodes; default 3. */
  size?: number
  /** Enable JetStream (clustered: streams may have replicas); default true. */
  jetstream?: boolean
  /** Deadline for every node to accept connections (and JetStream to be ready); default 20 s. */
  startTimeoutMs?: number
}

/** A NATS cluster on loopback, owned by a test: nodes routed to each other. */
export interface NatsCluster {
  readonly nodes: readonly NatsServer[]
  /** The server names of the nodes (`node-0`, `node-1`…), as JetStream names a stream's leader. */
  readonly names: readonly string[]
  /** Every node's client URL, comma-separated, as `[exp] nats` takes a cluster. */
  readonly urls: string
  /** The node whose server name is `name`. */
  byName(name: string): NatsServer
  /** Stops every node and removes their stores. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/**
 * Starts `size` nats-server nodes on free loopback ports, with routes between them (each lists
 * every cluster port; a node ignores its own) and, by default, clustered JetStream. The nodes start
 * together: clustered JetStream is ready only once a majority has met.
 */
export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = opts.size ?? 3
  const clusterPorts = await Promise.all(Array.from({ length: size }, () => freePort()))
  const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(',')
  const names = clusterPorts.map((_, i) => `node-${i}`)
  const started = await Promise.allSettled(
    clusterPorts.map((clusterPort, i) =>
      startNats({
        jetstream: opts.jetstream ?? true,
        startTimeoutMs: opts.startTimeoutMs ?? 20_000,
        args: ['-n', names[i]!, '--cluster_name', 'mfx-test', '--cluster', `nats://127.0.0.1:${clusterPort}`, '--routes', routes],
      }),
    ),
  )
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed !== undefined) {
    await Promise.all(nodes.map((n) => n.close()))
    throw failed.reason
  }
  let closing: Promise<void> | undefined
  const cluster: NatsCluster = {
    nodes,
    names,
    urls: nodes.map((n) => n.url).join(','),
    byName: (name) => {
      const node = nodes[names.indexOf(name)]
      if (node === undefined) throw new Error(`no node named ${name} in ${names.join(', ')}`)
      return node
    },
    close: () => {
      closing ??= Promise.all(nodes.map((n) => n.close())).then(() => undefined)
      return closing
    },
    [Symbol.asyncDispose]: () => cluster.close(),
  }
  return cluster
}
