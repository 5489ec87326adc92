import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Packet } from 'mqtt'
import { PoisonWatch } from '../../src/sink/poison-watch.js'
import { SessionStore } from '../../src/sink/session-store.js'

const KEEP_ALIVE_MS = 30_000

function publish(id: number): Packet {
  return { cmd: 'publish', topic: 't', payload: Buffer.from(String(id)), qos: 1, retain: false, dup: false, messageId: id }
}

function setUp() {
  const session = new SessionStore()
  let now = 0
  const watch = new PoisonWatch(session, () => KEEP_ALIVE_MS, () => now)
  const put = (p: Packet): Packet => {
    session.put(p, () => undefined)
    return p
  }
  const acked = (p: Packet): void => {
    session.del(p, () => undefined)
  }
  /** A connection: the resend writes the session in order, as far as the watch lets it; returns what it wrote. */
  const reconnect = (): Packet[] => {
    const written: Packet[] = []
    for (const p of session.packets()) {
      if (watch.holds(p)) break
      watch.written(p)
      written.push(p)
    }
    return written
  }
  return { session, watch, put, acked, reconnect, advance: (ms: number) => (now += ms) }
}

describe('finding the message the broker drops the connection for (issue 10)', () => {
  it('sends the head of the window alone after a drop, and gives up on it after three drops in a row', () => {
    const { watch, put, reconnect, advance } = setUp()
    const [poison, next] = [put(publish(1)), put(publish(2))]
    assert.equal(watch.closed(true), undefined, 'first drop: a suspect only')
    assert.deepEqual(reconnect(), [poison], 'the suspect goes alone; the rest waits for its ack')
    advance(5)
    assert.equal(watch.closed(true), undefined, 'second drop')
    assert.deepEqual(reconnect(), [poison])
    advance(5)
    assert.equal(watch.closed(true), poison, 'third drop in a row: dead-letter it')
    assert.notEqual(next, undefined)
  })

  it('clears a suspect that the broker acknowledges: acks lost with a reset connection do not condemn a message', () => {
    const { watch, put, acked, reconnect, advance } = setUp()
    const [first, second] = [put(publish(1)), put(publish(2))]
    watch.closed(true)
    assert.deepEqual(reconnect(), [first])
    acked(first)
    assert.deepEqual(reconnect(), [second], 'once acknowledged, the rest follows')
    advance(5)
    assert.equal(watch.closed(true), undefined, 'a new head is a new suspect, at its first drop')
    assert.deepEqual(reconnect(), [second])
    assert.equal(watch.closed(true), undefined)
    assert.equal(watch.closed(true), undefined, 'a drop with the suspect not written on that connection does not count')
    assert.deepEqual(reconnect(), [second])
    assert.equal(watch.closed(true), second)
  })

  it('does not count a drop found by keep-alive (a silent link), nor a connection that never reached CONNACK', () => {
    const { watch, put, reconnect, advance } = setUp()
    put(publish(1))
    watch.closed(true)
    for (let i = 0; i < 5; i++) {
      reconnect()
      advance(KEEP_ALIVE_MS * 1.5)
      assert.equal(watch.closed(true), undefined)
      assert.equal(watch.closed(false), undefined)
    }
  })

  it('skips PUBRELs: a QoS 2 message the broker already has is not a suspect', () => {
    const { watch, put, reconnect } = setUp()
    put({ cmd: 'pubrel', messageId: 7 })
    const poison = put(publish(8))
    watch.closed(true)
    assert.deepEqual(reconnect().map((p) => p.cmd), ['pubrel', 'publish'])
    watch.closed(true)
    reconnect()
    assert.equal(watch.closed(true), poison)
  })
})
