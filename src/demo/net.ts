import { connect, createServer } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'

/** A TCP port free on 127.0.0.1 now; released before this resolves, so the caller retries a bind that loses a race. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.unref()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolve())
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error(`no TCP port: unexpected listen address ${String(address)}`)
  return address.port
}

/** What a daemon says when another process took its port between {@link freePort} and its bind. */
export const PORT_TAKEN = /address already in use/i

/**
 * Runs `start`, which takes fresh ports from {@link freePort} each time, up to `attempts` times
 * while it fails because another process took one of them first (`portTaken` says so).
 */
export async function retryWhilePortTaken<T>(start: () => Promise<T>, portTaken: (err: unknown) => boolean, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start()
    } catch (err: unknown) {
      if (!portTaken(err) || attempt >= attempts) throw err
    }
  }
}

/** Whether `port` can be bound on all interfaces now (the service's HTTP server binds there). */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer()
  server.unref()
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false))
    server.listen({ port, exclusive: true }, () => resolve(true))
  })
  if (free) await new Promise<void>((resolve) => server.close(() => resolve()))
  return free
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` (within a second). */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    const done = (ok: boolean): void => {
      socket.removeAllListeners()
      socket.on('error', () => undefined) // a reset after the verdict changes nothing
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.setTimeout(1000, () => done(false))
  })
}

/**
 * Polls `ready` every 50 ms until it resolves true, `gaveUp` returns a reason to stop, or the
 * deadline passes. Resolves to `undefined` when ready, else to the reason.
 */
export async function pollUntil(ready: () => Promise<boolean>, gaveUp: () => string | undefined, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const reason = gaveUp()
    if (reason !== undefined) return reason
    if (await ready().catch(() => false)) return undefined
    if (Date.now() >= deadline) return `not ready after ${timeoutMs / 1000} s`
    await delay(50)
  }
}
