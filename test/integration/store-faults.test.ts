import assert from 'node:assert/strict'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { freePort } from '../helpers/free-port.js'
import { startNats } from '../helpers/nats-server.js'
import { startService } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'

describe('store faults at startup', () => {
  it('exits with a clear error naming the directory when the store directory cannot be created', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const dir = await makeTempDir('store-unwritable')
    td.add(() => removeDir(dir))
    // Tests run as root, so permissions would not stop it: a path below a regular file does.
    await writeFile(join(dir, 'not-a-dir'), 'x')
    const storePath = join(dir, 'not-a-dir', 'store')
    const nats = td.use(await startNats(), 'nats')
    const httpPort = await freePort()
    const service = td.use(
      await startService({
        httpPort,
        waitForHttp: false,
        env: { MF_EXPORT_STORE_PATH: storePath },
        configText: bridgeConfigToml({ natsUrl: nats.url, mqttUrl: 'tcp://127.0.0.1:1', httpPort }),
      }),
      'service',
    )
    const exit = await service.exited
    assert.notEqual(exit.code, 0)
    const errors = service.logs.filter((e) => e.level === 'error')
    assert.equal(errors.length, 1, JSON.stringify(service.logs))
    assert.equal(errors[0]!.code, 'EXP_STORE_UNAVAILABLE')
    assert.ok(String(errors[0]!.message).includes(storePath), String(errors[0]!.message))
  })

  it('moves a corrupt store file aside, says so loudly, and runs with an empty queue', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const dir = await makeTempDir('store-corrupt')
    td.add(() => removeDir(dir))
    const storePath = join(dir, 'store')
    await mkdir(storePath)
    await writeFile(join(storePath, 'queue.db'), Buffer.alloc(64 * 1024, 0xa5))
    const { nats, collector, service } = await startBridgeWorld(td, { collector: { topic: 'channels/#', qos: 1 }, env: { MF_EXPORT_STORE_PATH: storePath }, ready: [] })
    const loud = await service.waitForLog((e) => e.level === 'error' && e.code === 'EXP_STORE_CORRUPT', 10_000)
    assert.match(String(loud.movedTo), /queue\.db\.corrupt-/)
    const files = await readdir(storePath)
    assert.ok(files.some((f) => f.startsWith('queue.db.corrupt-')), files.join(', '))
    const health = (await service.health()).body as { last_error: string }
    assert.match(health.last_error, /corrupt/)

    await service.waitForLog((e) => e.message === 'route subscribed', 10_000)
    const nc = await connect({ servers: nats.url })
    nc.publish('export.after', 'still works')
    await nc.flush()
    await nc.close()
    const [m] = await collector.waitForCount(1, 10_000)
    assert.equal(m!.payload.toString(), 'still works')
  })
})
