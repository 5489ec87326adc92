import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { MqttPacketScanner, MqttPacketType } from './mqtt-packet-scanner.js'

/**
 * What the proxy does with traffic now. `silence-after-pubrec`: forwarding, armed by
 * {@link TcpProxy.silenceAfterPubrec}.
 */
export type ProxyMode = 'forward' | 'cut' | 'silent' | 'silence-after-pubrec'

/** A TCP proxy between the code under test and a broker, with switches for link faults. */
export interface TcpProxy {
  /** Port to connect to instead of the target's. */
  readonly port: number
  readonly targetPort: number
  readonly mode: ProxyMode
  /** Client connections open now (forwarding, or black-holed by {@link silence}). */
  readonly connections: number
  /** Client connections accepted since start, also those refused by {@link cut}. */
  readonly accepted: number
  /** Bytes passed on, both directions together. */
  readonly bytesForwarded: number
  /**
   * Connections the proxy itself closed or reset. {@link silence} never adds to it: a test can
   * check that a dead link was detected by the peer (keep-alive), not announced by the proxy.
   */
  readonly closedByProxy: number
  /**
   * Resets (RST) every open connection on both sides, and from now on resets new ones as soon as
   * they are accepted, until {@link restore}. Models a link that drops and stays down.
   */
  cut(): void
  /**
   * Keeps every socket open but from now on discards all bytes both ways; new connections are
   * accepted and black-holed too. Models a link that dies without FIN or RST.
   */
  silence(): void
  /**
   * Forwards as usual until the broker sends a PUBREC (QoS 2, second of four packets), then
   * {@link silence}s every link right after passing that PUBREC on to the client. The client's
   * PUBREL for it is lost, so when the link dies at least one message is certainly between PUBREC
   * and PUBCOMP: the broker keeps it in the client's session and releases it only on the PUBREL
   * that the client sends again on a new connection. A broker that forgot the session (a clean
   * session) loses it. Resolves once the link is silenced; rejects after `timeoutMs` (default 10 s)
   * without a PUBREC, and goes back to forwarding.
   */
  silenceAfterPubrec(timeoutMs?: number): Promise<void>
  /**
   * Forwards new connections again. Silenced connections stay dead but open until their peers
   * give up (or the proxy stops).
   */
  restore(): void
  /** Closes the listener and destroys every socket. Idempotent. */
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Listen port; default a free one. */
  port?: number
  /** Target host; default 127.0.0.1. */
  targetHost?: string
  /**
   * Delays every byte by this long in each direction (half the round trip it adds), keeping byte
   * order, like a WAN uplink; no bandwidth limit. Default 0: forwarded at once.
   */
  delayMs?: number
}

interface Link {
  client: Socket
  upstream: Socket | undefined
  /** Once true, bytes are dropped both ways and neither side's close reaches the other. */
  silenced: boolean
  /** Packet boundaries of what the broker sends, for {@link TcpProxy.silenceAfterPubrec}. */
  fromBroker: MqttPacketScanner
}

/** Starts a proxy on 127.0.0.1 that forwards to `targetHost:targetPort`. */
export async function startTcpProxy(targetPort: number, opts: TcpProxyOptions = {}): Promise<TcpProxy> {
  const targetHost = opts.targetHost ?? '127.0.0.1'
  const links = new Set<Link>()
  // Every socket, also the upstream half of a silenced link whose client is gone (the broker has
  // to find out by itself), so that stop() leaves nothing open.
  const sockets = new Set<Socket>()
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }
  let mode: ProxyMode = 'forward'
  let accepted = 0
  let bytesForwarded = 0
  let closedByProxy = 0
  let stopped: Promise<void> | undefined
  /** Set while {@link TcpProxy.silenceAfterPubrec} waits for a PUBREC. */
  let onPubrec: (() => void) | undefined

  const reset = (socket: Socket | undefined): void => {
    // resetAndDestroy sends RST instead of FIN, which is how a broken path looks to the peer.
    if (socket !== undefined && !socket.destroyed) socket.resetAndDestroy()
  }
  const closeLink = (link: Link, how: 'reset' | 'quiet'): void => {
    if (!links.delete(link)) return
    closedByProxy++
    if (how === 'reset') {
      reset(link.client)
      reset(link.upstream)
    } else {
      link.client.destroy()
      link.upstream?.destroy()
    }
  }

  const blackHole = (link: Link): void => {
    link.silenced = true
    // Keep reading and dropping, so the peers' writes never block: a dead link does not push back
    // at once either, and a paused socket would stop the proxy from noticing the peer's close.
    for (const s of [link.client, link.upstream]) {
      if (s === undefined) continue
      s.removeAllListeners('data')
      s.on('data', () => undefined)
      s.resume()
    }
  }

  const delayMs = opts.delayMs ?? 0
  const pipeOneWay = (link: Link, from: Socket, to: Socket): void => {
    if (delayMs > 0) {
      // A delayed link has no PUBREC trigger (silenceAfterPubrec needs the undelayed path).
      pipeDelayed(link, from, to)
      return
    }
    const scanner = from === link.upstream ? link.fromBroker : undefined
    from.on('data', (chunk: Buffer) => {
      if (link.silenced) return
      bytesForwarded += chunk.length
      // Scanned on every chunk, armed or not, to stay on the packet boundaries.
      const pubrec = scanner?.push(chunk).includes(MqttPacketType.PUBREC) === true
      if (!to.write(chunk)) {
        from.pause()
        to.once('drain', () => from.resume())
      }
      if (pubrec) onPubrec?.()
    })
    from.on('end', () => {
      if (!link.silenced) to.end()
    })
  }

  // A FIFO of chunks, each written `delayMs` after it was read; one timer for the head. The end of
  // the stream waits its turn behind the data. Nothing pushes back: the link has no bandwidth limit.
  const pipeDelayed = (link: Link, from: Socket, to: Socket): void => {
    const queue: Array<{ at: number; chunk: Buffer | null }> = []
    let timer: NodeJS.Timeout | undefined
    const flush = (): void => {
      timer = undefined
      const now = performance.now()
      while (queue.length > 0 && queue[0]!.at <= now) {
        const { chunk } = queue.shift()!
        if (link.silenced || to.destroyed) continue
        if (chunk === null) to.end()
        else {
          bytesForwarded += chunk.length
          to.write(chunk)
        }
      }
      if (queue.length > 0) timer = setTimeout(flush, Math.max(1, queue[0]!.at - now))
    }
    const push = (chunk: Buffer | null): void => {
      if (link.silenced) return
      queue.push({ at: performance.now() + delayMs, chunk })
      timer ??= setTimeout(flush, delayMs)
    }
    from.on('data', (chunk: Buffer) => push(chunk))
    from.on('end', () => push(null))
  }

  const onConnection = (client: Socket): void => {
    accepted++
    track(client)
    // Errors on either side end the link; they are expected here (resets are the point).
    client.on('error', () => undefined)
    if (mode === 'cut' || stopped !== undefined) {
      closedByProxy++
      client.resetAndDestroy()
      return
    }
    const link: Link = { client, upstream: undefined, silenced: false, fromBroker: new MqttPacketScanner() }
    links.add(link)
    client.on('close', () => {
      links.delete(link)
      if (!link.silenced) link.upstream?.destroy()
    })
    if (mode === 'silent') {
      blackHole(link)
      return
    }
    const upstream = connect({ port: targetPort, host: targetHost, allowHalfOpen: true })
    link.upstream = upstream
    track(upstream)
    upstream.on('error', () => {
      // The broker refused or reset: pass the reset on, as a router would report a refused port.
      if (!link.silenced && links.has(link)) {
        links.delete(link)
        reset(client)
      }
    })
    upstream.on('close', () => {
      if (!link.silenced && links.delete(link)) client.destroy()
    })
    pipeOneWay(link, client, upstream)
    pipeOneWay(link, upstream, client)
  }

  const server: Server = createServer({ allowHalfOpen: true }, onConnection)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: opts.port ?? 0, host: '127.0.0.1' }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no listen address')

  const proxy: TcpProxy = {
    port: address.port,
    targetPort,
    get mode() {
      return mode
    },
    get connections() {
      return links.size
    },
    get accepted() {
      return accepted
    },
    get bytesForwarded() {
      return bytesForwarded
    },
    get closedByProxy() {
      return closedByProxy
    },
    cut() {
      mode = 'cut'
      for (const link of [...links]) closeLink(link, 'reset')
    },
    silence() {
      mode = 'silent'
      for (const link of links) blackHole(link)
    },
    silenceAfterPubrec(timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        mode = 'silence-after-pubrec'
        const timer = setTimeout(() => {
          onPubrec = undefined
          if (mode === 'silence-after-pubrec') mode = 'forward'
          reject(new Error(`tcp proxy: no PUBREC from the broker within ${timeoutMs} ms`))
        }, timeoutMs)
        onPubrec = () => {
          onPubrec = undefined
          clearTimeout(timer)
          // The PUBREC was written to the client just before: its PUBREL will meet a dead link.
          proxy.silence()
          resolve()
        }
      })
    },
    restore() {
      mode = 'forward'
    },
    stop() {
      stopped ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        // server.close() waits for open sockets; destroying them is what lets it finish, and
        // silenced sockets would otherwise never close.
        for (const link of [...links]) closeLink(link, 'quiet')
        for (const socket of sockets) socket.destroy()
        await closed
      })()
      return stopped
    },
    [Symbol.asyncDispose]: () => proxy.stop(),
  }
  return proxy
}
