import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { Teardown } from '../helpers/teardown.js'

describe('a reload whose [mqtt] settings cannot work', () => {
  it('is refused as a whole: the running connection and routes stay, and /health says why', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, collector, service, httpPort, mqttUrl } = await startBridgeWorld(td, {
      collector: { topic: 'channels/#', qos: 1 },
      ready: ['subscribed', 'connected'],
    })
    // The keys of the file the service started with; the new file below changes [mqtt] and the routes.
    const base = { natsUrl: nats.url, mqttUrl, httpPort }

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
