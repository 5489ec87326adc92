import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { freePort } from '../helpers/free-port.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { startCollector } from '../helpers/mqtt-collector.js'
import { startNats } from '../helpers/nats-server.js'
import { startService } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'

describe('a reload whose [mqtt] settings cannot work', () => {
  it('is refused as a whole: the running connection and routes stay, and /health says why', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const nats = td.use(await startNats(), 'nats')
    const mosquitto = td.use(await startMosquitto(), 'mosquitto')
    const collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/#', qos: 1 }), 'collector')
    const httpPort = await freePort()
    const base = { natsUrl: nats.url, mqttUrl: mosquitto.url.replace('mqtt://', 'tcp://'), httpPort }
    const service = td.use(await startService({ httpPort, configText: bridgeConfigToml(base) }), 'service')
    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)
    await service.waitForLog((e) => e.message === 'connected to MQTT broker', 10_000)

    // The new file adds a route but asks for mTLS with a certificate file that does not exist.
    await writeFile(
      service.configPath!,
      bridgeConfigToml({
        ...base,
        mqtt: { mtls: true, client_cert_path: '/nonexistent/thing.crt', client_priv_key_path: '/nonexistent/thing.key' },
        routes: [
          { nats_topic: 'export', mqtt_topic: 'channels/c1/messages' },
          { nats_topic: 'added', mqtt_topic: 'channels/c2/messages' },
        ],
      }),
    )
    const res = await fetch(`http://127.0.0.1:${httpPort}/reload`, { method: 'POST' })
    assert.equal(res.status, 422)
    const body = (await res.json()) as { error: string }
    assert.match(body.error, /client_cert_path/)
    const health = (await service.health()).body as { mqtt: string; last_error: string }
    assert.equal(health.mqtt, 'connected')
    assert.match(health.last_error, /reload failed/)

    const nc = await connect({ servers: nats.url })
    nc.publish('export.still', 'old route')
    nc.publish('added.x', 'new route must not exist')
    await nc.flush()
    await nc.close()
    const [m] = await collector.waitForCount(1, 10_000)
    assert.equal(m!.payload.toString(), 'old route')
    assert.equal(service.logs.filter((e) => e.message === 'route subscribed').length, 1, 'the refused reload subscribed a route')
    assert.equal(collector.count, 1)
  })
})
