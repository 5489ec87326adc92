import { createServer } from 'node:net'

/**
 * Asks the kernel for a TCP port that is free on 127.0.0.1 right now.
 *
 * The port is released before this resolves, so another process could take it before the caller
 * binds it; helpers that start servers on such a port retry with a new one when the bind fails.
 */
export async function freePort(): Promise<number> {
  const server = createServer()
  // A helper that only probes must never keep the test process alive.
  server.unref()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolve())
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') {
    throw new Error(`freePort: unexpected listen address ${String(address)}`)
  }
  return address.port
}
