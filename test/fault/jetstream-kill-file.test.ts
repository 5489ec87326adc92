import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import type { TestRoute } from '../helpers/bridge-config.js'
import { consumerState, unacked } from '../helpers/jetstream-consumer.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { healthOf, scrapeMetric } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait.js'

const run = promisify(execFile)
const COUNT = 2000
const ROUTE: TestRoute = { nats_topic: 'telemetry', mqtt_topic: 'channels/c1/messages', source: 'jetstream', stream: 'EXPORT', workers: 50 }
const DURABLE = 'export-telemetry'

/** Fills the file system at `path` until it has no free byte left (tmpfs: allocation is immediate). */
async function fillDisk(path: string): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024)
  for (let i = 0; i < 1024; i++) {
    try {
      await writeFile(join(path, `filler-${i}`), chunk)
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break
      throw err
    }
  }
  // The last partial block: smaller and smaller writes until even one byte does not fit.
  for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
    try {
      await writeFile(join(path, `filler-tail-${size}`), Buffer.alloc(size))
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
    }
  }
}

/**
 * Issue 13, file store: a JetStream message may be acked only once the store has committed it.
 * Commits that cannot finish (the disk under the store is full) hold every ack; after a `kill -9`
 * and a restart with space and the cloud link back, JetStream redelivers them and all arrive.
 * Acking on receipt (before the commit) fails both checks, on every run.
 */
describe('a JetStream route with the file store across a kill -9', () => {
  it(`acks none of ${COUNT} messages it could not commit, and sends them all after a restart`, async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const dir = await makeTempDir('js-kill-file')
    td.add(() => removeDir(dir), 'tmpfs dir')
    const mountPoint = join(dir, 'mnt')
    await mkdir(mountPoint)
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint])
    } catch (err: unknown) {
      assert.fail(`this test needs to mount a tmpfs (run the tests as root, as CI does): ${String(err)}`)
    }
    td.add(() => run('umount', ['-l', mountPoint]), 'umount')
    const filler = join(mountPoint, 'filler')
    await mkdir(filler)

    const { nats, proxy, collector, service, httpPort } = await startBridgeWorld(td, {
      nats: { jetstream: true },
      proxy: 'cut',
      collector: { topic: 'channels/c1/messages/#', qos: 1 },
      env: { MF_EXPORT_STORE_PATH: join(mountPoint, 'store') },
      config: { qos: 1, store: { type: 'file' }, routes: [ROUTE] },
      ready: ['subscribed'],
      readyTimeoutMs: 15_000,
    })
    // The store is open; from now on no commit can finish.
    await fillDisk(filler)

    await publishSequence(nats.url, 'telemetry.seq', COUNT, { jetstream: true, batch: 500 })
    await waitFor(async () => (await healthOf(service)).body.store === 'disk_full', { timeoutMs: 10_000, what: '/health to report the disk full' })
    await waitFor(async () => (await consumerState(nats.url, 'EXPORT', DURABLE)).deliveredSeq === COUNT, { timeoutMs: 15_000, what: `all ${COUNT} delivered to the service` })
    const state = await consumerState(nats.url, 'EXPORT', DURABLE)
    assert.equal(unacked(state), COUNT, `${COUNT - unacked(state)} messages were acked although the store could not commit them`)
    assert.ok((await scrapeMetric(httpPort, 'export_messages_received_total', { route: 'telemetry' })) >= COUNT)

    const killed = await service.kill('SIGKILL')
    assert.equal(killed.signal, 'SIGKILL')
    await rm(filler, { recursive: true })
    proxy.restore()
    const restartedAt = Date.now()
    await service.restart()
    await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 60_000, what: `${COUNT} distinct messages` }).catch(() => undefined) // the report says what is missing
    const seconds = (Date.now() - restartedAt) / 1000
    const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
    assert.ok(report.ok, `${describeSequence(report)} (${seconds.toFixed(1)} s after the restart)`)
    t.diagnostic(`${COUNT}/${COUNT} delivered ${seconds.toFixed(1)} s after the restart (ack wait ${state.ackWaitMs} ms); ${report.duplicates} duplicates`)
  })
})
