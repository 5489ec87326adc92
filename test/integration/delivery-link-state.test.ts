import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { systemClock } from '../../src/clock.js'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'
import { Delivery } from '../../src/delivery/delivery.js'
import { createLogger } from '../../src/logger.js'
import { PublishLimits } from '../../src/mqtt-limits.js'
import { StatusBoard } from '../../src/status/service-status.js'
import { FileStore } from '../../src/store/file-store.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { Teardown } from '../helpers/teardown.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait.js'

/**
 * The file store keeps a burst in memory only while the cloud link is up (docs/store.md): the
 * delivery side must tell it when the broker comes and goes, or an outage's backlog would stay in
 * memory (link thought up) or every burst would be read back from disk (link thought down).
 */
describe('delivery tells the store whether the cloud link is up', () => {
  it('up on connect, down when the broker goes away, up again when it is back', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const mosquitto = td.use(await startMosquitto(), 'mosquitto')
    const dir = await makeTempDir('delivery-link')
    td.add(() => removeDir(dir), 'store dir')
    const text = `[exp]\nnats = "nats://127.0.0.1:1"\n[mqtt]\nurl = "tcp://127.0.0.1:${mosquitto.port}"\n[store]\npath = "${dir}"\n[[routes]]\nnats_topic = "export"\nmqtt_topic = "channels/c1/messages"\n`
    const { config } = configFromRaw(parseConfigText(text, 'link.toml'), { fileName: 'link.toml', env: {} })
    const log = createLogger('error')
    const store = new FileStore(config.store, log)
    // The real store, with its link state recorded as the delivery side sets it.
    const states: boolean[] = []
    const linkUp = store.linkUp.bind(store)
    store.linkUp = (up: boolean): void => {
      states.push(up)
      linkUp(up)
    }
    const board = new StatusBoard(config.store, log, systemClock)
    const delivery = new Delivery(config.mqtt, { store, limits: new PublishLimits(config.mqtt), counters: board, mqttHistory: board.mqttHistory, log, clock: systemClock })
    await store.open(delivery)
    td.add(() => store.close(), 'store')
    td.add(() => delivery.close(), 'delivery')
    await delivery.start()

    await waitFor(() => states.at(-1) === true, { timeoutMs: 10_000, what: 'link up after connect' })
    await mosquitto.stop()
    await waitFor(() => states.at(-1) === false, { timeoutMs: 10_000, what: 'link down after the broker stopped' })
    await mosquitto.restart()
    await waitFor(() => states.at(-1) === true, { timeoutMs: 20_000, what: 'link up after the broker came back' })
    assert.deepEqual(states, [true, false, true])
  })
})
