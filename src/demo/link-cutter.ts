import { connect, createServer } from 'node:net'
import type { Socket } from 'node:net'

/** The demo's cloud link: a TCP proxy between the service and the broker that can be cut. */
export interface LinkCutter {
  /** Port the service connects to instead of the broker's. */
  readonly port: number
  readonly isCut: boolean
  /** Resets every open connection and refuses new ones until {@link restore}, as a dropped uplink. */
  cut(): void
  restore(): void
  /** Closes the listener and every connection. Idempotent. */
  close(): Promise<void>
}

/** Listens on a free 127.0.0.1 port and forwards each connection to 127.0.0.1:`targetPort`. */
export async function startLinkCutter(targetPort: number): Promise<LinkCutter> {
  const sockets = new Set<Socket>()
  let isCut = false
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => undefined) // resets are the point here; the peer's close ends the pair
  }
  const server = createServer((client) => {
    track(client)
    if (isCut) {
      client.resetAndDestroy()
      return
    }
    const upstream = connect({ port: targetPort, host: '127.0.0.1' })
    track(upstream)
    // pipe() carries backpressure both ways; closing either side closes the other.
    client.pipe(upstream)
    upstream.pipe(client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('link cutter: no listen address')
  let closing: Promise<void> | undefined
  return {
    port: address.port,
    get isCut() {
      return isCut
    },
    cut() {
      isCut = true
      // RST rather than FIN: to the service this looks like a broken path, not a broker that said goodbye.
      for (const socket of sockets) socket.resetAndDestroy()
    },
    restore() {
      isCut = false
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
      return closing
    },
  }
}
