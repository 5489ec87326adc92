import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/logger.js'
import { encodeMainfluxMessage } from '../../src/route/mfx.js'
import { Route } from '../../src/route/route.js'
import type { RouteConfig } from '../../src/config/types.js'
import { MemoryStore } from '../../src/store/memory-store.js'

function setup(overrides: Partial<RouteConfig> = {}) {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  const store = new MemoryStore({ maxBytes: 1 << 20, overflow: 'drop_oldest', maxAgeMs: 0 })
  void store.open({ available: () => undefined, dropped: () => undefined })
  const config: RouteConfig = { natsTopic: 'channels', mqttTopic: 'channels/c1/messages', subtopic: '', type: 'mfx', workers: 10, source: 'core', stream: 'EXPORT', durable: 'export-channels', priority: 0, ...overrides }
  const route = new Route(config, store, createLogger('debug', sink))
  return { route, store, lines }
}

describe('route', () => {
  it('stores a message under its mapped topic and counts it', () => {
    const { route, store } = setup()
    const result = route.handle('channels.c1.temp', encodeMainfluxMessage({ channel: 'c1', payload: Buffer.from('21') }))
    assert.equal(result, 'stored')
    assert.equal(route.stats.received, 1)
    const [m] = store.claim('channels', 1)
    assert.equal(m!.topic, 'channels/c1/messages/channels/c1/temp')
    assert.equal(m!.payload.toString(), '21')
  })

  it('counts, logs and skips an invalid payload, and takes the next one', () => {
    const { route, store, lines } = setup()
    assert.equal(route.handle('channels.c1.temp', Buffer.from('not protobuf')), 'invalid')
    assert.equal(route.handle('channels.c1.temp', encodeMainfluxMessage({ channel: 'c1', payload: Buffer.from('ok') })), 'stored')
    assert.equal(route.stats.invalid, 1)
    assert.equal(store.queued('channels'), 1)
    const warn = lines.find((l) => l.message === 'invalid payload skipped')
    assert.equal(warn?.subject, 'channels.c1.temp')
  })

  it("does not export the Agent's reload commands, even on a route that matches them", () => {
    const { route, store } = setup({ natsTopic: '>', type: 'default' })
    assert.equal(route.handle('channels.commands.export.config', encodeMainfluxMessage({ channel: 'commands', subtopic: 'export.config' })), 'ignored')
    assert.equal(route.handle('commands.export.config', Buffer.alloc(0)), 'ignored')
    // Our own heartbeat, in the form the newest Agents read, is not data either.
    assert.equal(route.handle('channels.heartbeat.export.service', encodeMainfluxMessage({ channel: 'heartbeat.export.service', payload: Buffer.from('{}') })), 'ignored')
    assert.equal(route.stats.received, 0)
    assert.equal(store.queued('>'), 0)
    assert.equal(route.handle('commands.export.other', Buffer.from('x')), 'stored')
  })
})
