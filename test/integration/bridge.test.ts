import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { decodeMainfluxMessage, encodeMainfluxMessage } from '../../src/route/mfx.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import type { Mosquitto } from '../helpers/mosquitto.js'
import { startCollector } from '../helpers/mqtt-collector.js'
import type { NatsServer } from '../helpers/nats-server.js'
import type { ServiceProcess } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

describe('bridge end to end', () => {
  const td = new Teardown()
  let nats: NatsServer
  let mosquitto: Mosquitto
  let service: ServiceProcess
  let httpPort: number

  before(async () => {
    // Each test subscribes its own reader, to the topics it checks.
    const world = await startBridgeWorld(td, {
      collector: false,
      config: {
        heartbeatInterval: '1s',
        routes: [
          { nats_topic: 'export', mqtt_topic: 'channels/c1/messages', subtopic: 'gw', type: 'default' },
          { nats_topic: 'channels', mqtt_topic: 'channels/c2/messages', type: 'mfx' },
        ],
      },
    })
    nats = world.nats
    mosquitto = world.mosquitto
    service = world.service
    httpPort = world.httpPort
  })
  after(() => td.run())

  it('publishes a default route message to <mqtt_topic>/<subtopic>/<subject as path>, payload unchanged', async () => {
    await using collector = await startCollector({ url: mosquitto.url, topic: 'channels/c1/messages/#', qos: 1 })
    const nc = await connect({ servers: nats.url })
    nc.publish('export.temp.room1', 'raw bytes \u00ff')
    await nc.flush()
    await nc.close()
    const [m] = await collector.waitForCount(1, 5000)
    assert.equal(m!.topic, 'channels/c1/messages/gw/export/temp/room1')
    assert.equal(m!.payload.toString(), 'raw bytes \u00ff')
  })

  it('publishes the payload field of a Mainflux message on an mfx route, and skips and counts an invalid one', async () => {
    await using collector = await startCollector({ url: mosquitto.url, topic: 'channels/c2/messages/#', qos: 1 })
    const senml = Buffer.from('[{"bn":"dev:","n":"temp","v":20}]')
    const nc = await connect({ servers: nats.url })
    nc.publish('channels.c2.temp', Buffer.from('definitely not protobuf'))
    nc.publish('channels.c2.temp', encodeMainfluxMessage({ channel: 'c2', publisher: 'thing', protocol: 'http', payload: senml }))
    await nc.flush()
    await nc.close()
    const [m] = await collector.waitForCount(1, 5000)
    assert.equal(m!.topic, 'channels/c2/messages/channels/c2/temp')
    assert.deepEqual(m!.payload, senml)
    const warn = await service.waitForLog((e) => e.message === 'invalid payload skipped', 5000)
    assert.equal(warn.subject, 'channels.c2.temp')
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
    assert.match(metrics, /export_messages_invalid_total\{route="channels",reason="transform"\} 1\b/)
    assert.match(metrics, /export_messages_published_total\{route="channels"\} 1\b/)
  })

  it('sends a heartbeat on heartbeat.export.service at the configured interval', async () => {
    const nc = await connect({ servers: nats.url })
    try {
      const sub = nc.subscribe('heartbeat.export.service', { max: 2 })
      const beats: unknown[] = []
      for await (const m of sub) beats.push(m.json())
      assert.equal(beats.length, 2)
      assert.deepEqual(Object.keys(beats[0] as object).sort(), ['mqtt', 'queued', 'status'])
      assert.equal((beats[0] as { status: string }).status, 'online')
      assert.equal((beats[0] as { mqtt: string }).mqtt, 'connected')
    } finally {
      await nc.close()
    }
  })

  it('also sends it as a Mainflux message on channels.heartbeat.export.service, as the newest Agents read it', async () => {
    const nc = await connect({ servers: nats.url })
    try {
      const sub = nc.subscribe('channels.heartbeat.export.service', { max: 1 })
      for await (const m of sub) {
        // Those Agents take the service's name from the message's channel field.
        const decoded = decodeMainfluxMessage(m.data)
        assert.equal(decoded.channel, 'heartbeat.export.service')
        assert.equal((JSON.parse(Buffer.from(decoded.payload).toString()) as { status: string }).status, 'online')
      }
    } finally {
      await nc.close()
    }
  })

  it('answers /health and /version in the Mainflux shape', async () => {
    const { status, body } = await service.health()
    assert.equal(status, 200)
    const h = body as Record<string, unknown>
    assert.equal(h.status, 'pass')
    assert.equal(h.description, 'export service')
    assert.equal(h.nats, 'connected')
    assert.equal(h.mqtt, 'connected')
    assert.equal(typeof h.queued, 'number')
    for (const key of ['version', 'commit', 'build_time', 'last_error']) assert.ok(key in h, `missing ${key}`)
    const version = (await (await fetch(`http://127.0.0.1:${httpPort}/version`)).json()) as Record<string, unknown>
    assert.equal(version.service, 'export')
    assert.equal(typeof version.version, 'string')
  })

  it('reports 503 and "fail" on /health while NATS is down, and recovers', async () => {
    await nats.stop()
    await waitFor(async () => (await service.health()).status === 503, { timeoutMs: 15_000, what: '/health 503 with NATS down' })
    const { body } = await service.health()
    assert.equal((body as { status: string }).status, 'fail')
    assert.equal((body as { nats: string }).nats, 'disconnected')
    await nats.restart()
    await waitFor(async () => (await service.health()).status === 200, { timeoutMs: 15_000, what: '/health 200 after NATS is back' })
    // Issue 10: last_error kept saying "NATS disconnected" for ever (and the status page in red).
    const back = (await service.health()).body as { status: string; last_error: string }
    assert.equal(back.status, 'pass')
    assert.equal(back.last_error, '')
  })
})
