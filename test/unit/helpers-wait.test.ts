// The waits every integration test builds on: deadlines, polling, ports.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { describe, it } from 'node:test'
import { freePort } from '../helpers/free-port.js'
import { canConnect, waitFor, WaitTimeoutError, waitForPort, withDeadline } from '../helpers/wait.js'

describe('waitFor', () => {
  it('resolves with the first truthy poll result', async () => {
    let calls = 0
    const value = await waitFor(() => (++calls >= 3 ? { calls } : false), { timeoutMs: 2000, intervalMs: 1, what: 'x' })
    assert.deepEqual(value, { calls: 3 })
  })

  it('times out naming what it waited for and the last error', async () => {
    await assert.rejects(
      waitFor(
        () => {
          throw new Error('not yet listening')
        },
        { timeoutMs: 30, intervalMs: 5, what: 'the broker' },
      ),
      (err: unknown) =>
        err instanceof WaitTimeoutError &&
        /^timed out after 30ms waiting for the broker \(last error: not yet listening\)$/.test(err.message),
    )
  })

  it('treats 0 and empty strings as results, not as "not yet"', async () => {
    assert.equal(await waitFor(() => 0, { timeoutMs: 50, what: 'zero' }), 0)
  })
})

describe('withDeadline', () => {
  it('rejects when the promise does not settle in time', async () => {
    await assert.rejects(withDeadline(new Promise(() => undefined), 20, 'nothing'), /timed out after 20ms waiting for nothing/)
  })
  it('passes the value through', async () => {
    assert.equal(await withDeadline(Promise.resolve(7), 1000, 'seven'), 7)
  })
})

describe('freePort and waitForPort', () => {
  it('finds a port nobody listens on, and sees it accept once something listens', async () => {
    const port = await freePort()
    assert.ok(port > 0 && port < 65536)
    assert.equal(await canConnect(port), false)
    const server = createServer((s) => s.destroy())
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    try {
      await waitForPort(port, 2000)
    } finally {
      server.close()
    }
  })
})
