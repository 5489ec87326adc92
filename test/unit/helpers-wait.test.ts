// The small helpers every integration test builds on: deadlines, ports, binaries, cleanup order,
// log parsing and the generated mosquitto config.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { describe, it } from 'node:test'
import { MissingBinaryError, requireBinary } from '../helpers/binaries.js'
import { freePort } from '../helpers/free-port.js'
import { renderConfig } from '../helpers/mosquitto.js'
import { parseLogLine } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
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

describe('requireBinary', () => {
  it('finds nats-server outside PATH, in sbin', () => {
    assert.match(requireBinary('nats-server'), /\/nats-server$/)
  })

  it('says how to install a missing program', () => {
    assert.throws(
      () => requireBinary('nats-server', ['/nonexistent']),
      (err: unknown) =>
        err instanceof MissingBinaryError &&
        err.message === 'nats-server not found: install it with "apt-get install -y nats-server mosquitto mosquitto-clients"',
    )
  })
})

describe('Teardown', () => {
  it('runs cleanups last-first, all of them, and then reports the failures', async () => {
    const order: string[] = []
    const td = new Teardown()
    td.add(() => order.push('a'), 'a')
    td.add(() => {
      order.push('b')
      throw new Error('b broke')
    }, 'b')
    td.add(async () => {
      await Promise.resolve()
      order.push('c')
    }, 'c')
    await assert.rejects(td.run(), /teardown: b failed/)
    assert.deepEqual(order, ['c', 'b', 'a'])
    await td.run() // nothing left: no error, nothing run twice
    assert.deepEqual(order, ['c', 'b', 'a'])
  })
})

describe('parseLogLine', () => {
  it('parses JSON objects and leaves everything else to the raw lines', () => {
    assert.deepEqual(parseLogLine('{"level":"info","message":"up","ts":"2024-01-01T00:00:00Z"}'), {
      level: 'info',
      message: 'up',
      ts: '2024-01-01T00:00:00Z',
    })
    assert.equal(parseLogLine('{ broken'), undefined)
    assert.equal(parseLogLine('[1,2]'), undefined)
    assert.equal(parseLogLine('Error: boom'), undefined)
  })
})

describe('mosquitto config', () => {
  const base = { port: 1884, tlsPort: undefined, dir: '/tmp/d', passwordFile: undefined, aclFile: undefined }

  it('allows anonymous clients only without users, and lifts the broker queue limits', () => {
    const open = renderConfig(base)
    assert.match(open, /^allow_anonymous true$/m)
    assert.match(open, /^listener 1884 127\.0\.0\.1$/m)
    for (const line of ['max_inflight_messages 0', 'max_queued_messages 0', 'max_queued_bytes 0', 'persistence false']) {
      assert.match(open, new RegExp(`^${line}$`, 'm'))
    }
    const closed = renderConfig({ ...base, passwordFile: '/tmp/d/passwords', aclFile: '/tmp/d/acl' })
    assert.match(closed, /^allow_anonymous false$/m)
    assert.match(closed, /^password_file \/tmp\/d\/passwords$/m)
    assert.match(closed, /^acl_file \/tmp\/d\/acl$/m)
  })
})
