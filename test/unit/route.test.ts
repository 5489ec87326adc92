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

// Issue 10: one message on a subject no broker takes as a topic stopped every route for good.
describe('route: messages a broker would refuse (issue 10)', () => {
  it('refuses a subject that makes an invalid topic before it is queued, counts and logs it, and takes the next message', () => {
    const { route, store, lines } = setup({ natsTopic: 'export', type: 'default' })
    for (const subject of ['export.x+y', 'export.#', 'export.a\u0000b', 'export.\ufffd']) assert.equal(route.handle(subject, Buffer.from('bad')), 'invalid', subject)
    assert.equal(route.handle('export.ok', Buffer.from('good')), 'stored')
    assert.equal(route.stats.invalidTopic, 4)
    assert.equal(route.stats.invalid, 4)
    assert.equal(store.queued('export'), 1)
    const warn = lines.find((l) => l.message === 'message skipped: its subject makes an invalid MQTT topic')
    assert.equal(warn?.subject, 'export.x+y')
    assert.equal(warn?.code, 'EXP_TOPIC_INVALID')
    // Rate-limited: one line, not one per message.
    assert.equal(lines.filter((l) => l.message === warn?.message).length, 1)
  })

  it('refuses a message bigger than the broker takes, logging its subject and size', async () => {
    const { PublishLimits } = await import('../../src/mqtt-limits.js')
    const lines: Array<Record<string, unknown>> = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
        done()
      },
    })
    const store = new MemoryStore({ maxBytes: 1 << 24, overflow: 'drop_oldest', maxAgeMs: 0 })
    await store.open({ available: () => undefined, dropped: () => undefined })
    const limits = new PublishLimits({ qos: 1, protocolVersion: 4, maxMessageBytes: 1000 })
    const config: RouteConfig = { natsTopic: 'export', mqttTopic: 'c', subtopic: '', type: 'default', workers: 10, source: 'core', stream: 'EXPORT', durable: 'export-export', priority: 0 }
    const route = new Route(config, store, createLogger('debug', sink), undefined, limits)
    assert.equal(route.handle('export.big', Buffer.alloc(5000)), 'invalid')
    assert.equal(route.handle('export.small', Buffer.alloc(900)), 'stored')
    assert.equal(route.stats.invalidTooLarge, 1)
    const warn = lines.find((l) => l.message === 'message skipped: bigger than the MQTT broker takes')
    assert.equal(warn?.subject, 'export.big')
    assert.equal(warn?.bytes, 5000 + 2 + 'c/export/big'.length + 2 + 1 + 2)
    assert.equal(warn?.maxBytes, 1000)
  })
})
