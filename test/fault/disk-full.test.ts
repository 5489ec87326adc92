import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { publishSequence } from '../helpers/nats-publisher.js'
import { healthOf, scrapeMetric } from '../helpers/service-metrics.js'
import type { HealthBody } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait.js'

const run = promisify(execFile)
const payload = (i: number): Uint8Array => Buffer.from(`${String(i).padStart(8, '0')}:${'x'.repeat(2000)}`)

/**
 * A real full disk under the file store: a small tmpfs (tests run as root, as CI does). The store
 * stops taking messages, says so on /health, keeps what it has, and resumes once the tmpfs grows.
 */
describe('the file store on a full disk', () => {
  it('refuses and counts new messages while full, keeps the stored ones, and resumes when space returns', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const dir = await makeTempDir('disk-full')
    td.add(() => removeDir(dir), 'tmpfs dir')
    const mountPoint = join(dir, 'mnt')
    await mkdir(mountPoint)
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint])
    } catch (err: unknown) {
      assert.fail(`this test needs to mount a tmpfs (run the tests as root, as CI does): ${String(err)}`)
    }
    td.add(() => run('umount', ['-l', mountPoint]), 'umount')

    const { nats, proxy, collector, service, httpPort } = await startBridgeWorld(td, {
      proxy: 'cut',
      collector: { topic: 'channels/#', qos: 1 },
      env: { MF_EXPORT_STORE_PATH: join(mountPoint, 'store') },
      config: { qos: 1 },
      ready: ['subscribed'],
    })
    const health = async (): Promise<HealthBody> => (await healthOf(service)).body

    // Fill the tmpfs: ~2 KB messages until the store reports the disk full.
    let sent = 0
    await waitFor(
      async () => {
        await publishSequence(nats.url, 'export.seq', 100, { payload: (i) => payload(sent + i) })
        sent += 100
        return (await health()).store === 'disk_full'
      },
      { timeoutMs: 30_000, intervalMs: 50, what: '/health to report the disk full' },
    )
    assert.match((await health()).last_error, /full/i)
    await service.waitForLog((e) => e.level === 'error', 5000)
    // More while full: refused and counted.
    await publishSequence(nats.url, 'export.seq', 100, { payload: (i) => payload(sent + i) })
    sent += 100

    // Space returns.
    await run('mount', ['-o', 'remount,size=64m', mountPoint])
    await waitFor(async () => (await health()).store === 'ok', { timeoutMs: 10_000, what: 'the store to resume' })
    await publishSequence(nats.url, 'export.seq', 100, { payload: (i) => payload(sent + i) })
    sent += 100

    const refused = await scrapeMetric(httpPort, 'export_messages_dropped_total', { route: 'export', reason: 'disk_full' })
    assert.ok(refused >= 100, `only ${refused} refused while the disk was full`)
    await waitFor(async () => (await health()).queued === sent - refused, { timeoutMs: 10_000, what: `${sent - refused} queued` })

    proxy.restore()
    await collector.waitForCount(sent - refused, 30_000)
    const numbers = collector.payloads().map((p) => Number(p.slice(0, 8)))
    assert.equal(numbers.length, sent - refused)
    assert.ok(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!), 'messages arrived out of order or twice')
    assert.equal(numbers.at(-1), sent - 1, 'the messages after the disk had space again were not sent')
    t.diagnostic(`${sent} published, ${refused} refused while the disk was full`)
  })
})
