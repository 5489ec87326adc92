import { connect } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'

/** Thrown when a deadline passes; the message names what was awaited. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError'
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Deadline, measured from the call. */
  timeoutMs: number
  /** Pause between two polls; default 25 ms. */
  intervalMs?: number
  /** Used in the timeout message: `timed out after 500ms waiting for <what>`. */
  what: string
  /** Aborts the wait early (the returned promise rejects with the signal's reason). */
  signal?: AbortSignal
}

/** A poll result: `undefined`, `null` and `false` mean "not yet". */
export type Poll<T> = T | undefined | null | false

/**
 * Polls `fn` until it returns something other than `undefined`, `null` or `false`, and resolves to
 * that value.
 *
 * An exception thrown by `fn` counts as "not yet" (a server that is still starting refuses
 * connections) and is kept as the `cause` of the timeout error, so a real fault is still visible.
 *
 * @throws {WaitTimeoutError} `timed out after <timeoutMs>ms waiting for <what>`.
 */
export async function waitFor<T>(fn: () => Poll<T> | Promise<Poll<T>>, opts: WaitForOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  const intervalMs = opts.intervalMs ?? 25
  let lastError: unknown
  for (;;) {
    opts.signal?.throwIfAborted()
    try {
      const value = await fn()
      if (value !== undefined && value !== null && value !== false) return value
    } catch (err: unknown) {
      lastError = err
    }
    const left = deadline - Date.now()
    if (left <= 0) {
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new WaitTimeoutError(`timed out after ${opts.timeoutMs}ms waiting for ${opts.what}${last}`, {
        cause: lastError,
      })
    }
    await delay(Math.min(intervalMs, left), undefined, opts.signal ? { signal: opts.signal } : undefined)
  }
}

/**
 * Rejects with a {@link WaitTimeoutError} if `promise` has not settled within `timeoutMs`.
 * For waits on an event or a promise rather than a condition that can be polled.
 */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(`timed out after ${timeoutMs}ms waiting for ${what}`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves `true` if a TCP connection to `host:port` is accepted, `false` if it is refused or fails. */
export async function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ port, host })
    const done = (ok: boolean): void => {
      socket.removeAllListeners()
      // Errors after the verdict (e.g. a reset by a server that is shutting down) are irrelevant.
      socket.on('error', () => undefined)
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
    socket.setTimeout(1000, () => done(false))
  })
}

/** Waits until `127.0.0.1:port` accepts TCP connections. */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  await waitFor(() => canConnect(port, host), { timeoutMs, what: `${host}:${port} to accept connections` })
}
