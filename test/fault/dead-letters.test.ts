import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { describeRun, runCli } from '../helpers/cli-run.js'
import { freePort } from '../helpers/free-port.js'
import { publishSequence } from '../helpers/nats-publisher.js'
import type { ServiceProcess } from '../helpers/service-process.js'
import { healthOf, scrapeMetric } from '../helpers/service-metrics.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const BIG_BYTES = 1_000_000
const BIG_TOPIC = 'channels/c1/messages/export/big'
/** A 3.1.1 broker that resets the connection on a packet over 100 kB: the bridge cannot know it. */
const SMALL_BROKER = 'max_packet_size 100000'

async function publishBig(natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, name: 'big-publisher' })
  nc.publish('export.big', Buffer.alloc(BIG_BYTES, 'b'))
  await nc.flush()
  await nc.close()
}

/** The command line, on the service's config file and store (the store path comes from the environment). */
function deadLetters(service: ServiceProcess, args: string[], configPath = service.configPath!): ReturnType<typeof runCli> {
  return runCli(['dead-letters', ...args, '--config', configPath], { MF_EXPORT_STORE_PATH: service.storePath })
}

async function deadLettered(port: number): Promise<void> {
  await waitFor(async () => (await scrapeMetric(port, 'export_dead_lettered_total', { route: 'export', reason: 'repeated_disconnect' })) === 1, {
    timeoutMs: 20_000,
    what: 'the big message dead-lettered',
  })
}

// Issue 10: `mainflux-export dead-letters list|replay|purge` lets an operator look at the messages
// taken out of their queue and send them again.
describe('dead-letters commands (issue 10)', () => {
  it('lists a dead letter through the running service, and replays it once the broker takes it: it arrives', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, service, collector, mosquitto, httpPort } = await startBridgeWorld(td, {
      mosquitto: { extraConfig: SMALL_BROKER },
      collector: { topic: 'channels/c1/messages/#', qos: 1 },
      config: { qos: 1 },
    })
    await publishBig(nats.url)
    await deadLettered(httpPort)

    const list = await deadLetters(service, ['list'])
    assert.equal(list.code, 0, describeRun(list))
    assert.match(list.stdout, /^SEQ +ROUTE +REASON +BYTES +DEAD-LETTERED AT +TOPIC$/m)
    assert.match(list.stdout, new RegExp(`^1 +export +repeated_disconnect +${BIG_BYTES} +\\S+Z +${BIG_TOPIC}$`, 'm'))
    assert.match(list.stdout, /the broker closed the connection 3 times in a row/)
    assert.match(list.stdout, new RegExp(`1 dead letter\\(s\\) \\(http://127\\.0\\.0\\.1:${httpPort}\\)`))
    const json = await deadLetters(service, ['list', '--json'])
    const [letter] = JSON.parse(json.stdout) as Array<{ seq: number; reason: string; bytes: number }>
    assert.deepEqual([letter?.reason, letter?.bytes], ['repeated_disconnect', BIG_BYTES])

    // A web page of another site cannot make the operator's browser replay it (the action guard).
    const crossSite = await fetch(`http://127.0.0.1:${httpPort}/dead-letters/replay`, { method: 'POST', headers: { origin: 'http://evil.example' }, body: '{"all":true}' })
    assert.equal(crossSite.status, 403)

    // The operator raises the broker's limit; then the replay goes through.
    await writeFile(mosquitto.configPath, (await readFile(mosquitto.configPath, 'utf8')).replace(SMALL_BROKER, ''))
    await mosquitto.restart()
    let probe = 0
    await waitFor(
      async () => {
        await publishSequence(nats.url, 'export.probe', 1, { payload: () => Buffer.from(String(probe++)) })
        return collector.payloads('channels/c1/messages/export/probe').length > 0
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'the bridge and the reader back on the restarted broker' },
    )
    const replay = await deadLetters(service, ['replay', String(letter!.seq)])
    assert.equal(replay.code, 0, describeRun(replay))
    assert.match(replay.stdout, new RegExp(`^1 dead letter\\(s\\) queued again: ${letter!.seq} `))
    await waitFor(() => collector.messages.some((m) => m.topic === BIG_TOPIC), { timeoutMs: 10_000, what: 'the replayed message at the reader' })
    assert.equal(collector.messages.find((m) => m.topic === BIG_TOPIC)?.payload.length, BIG_BYTES)
    const after = await deadLetters(service, ['list'])
    assert.match(after.stdout, /^no dead letters/)
    assert.equal((await healthOf(service)).body.status, 'pass', 'nothing dead-lettered is left to warn about')
  })

  it('works on the store when the service is stopped, refuses while the service holds it, and purges', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const { nats, service, httpPort } = await startBridgeWorld(td, {
      mosquitto: { extraConfig: SMALL_BROKER },
      collector: false,
      config: { qos: 1 },
    })
    await publishBig(nats.url)
    await deadLettered(httpPort)
    await service.stop()

    const offline = await deadLetters(service, ['list'])
    assert.equal(offline.code, 0, describeRun(offline))
    assert.match(offline.stdout, new RegExp(`repeated_disconnect +${BIG_BYTES} `))
    assert.match(offline.stdout, /the service not running\)$/m)

    // Running again, but the command is told another port: the store is locked, nothing is changed.
    await service.restart()
    const elsewhere = join(service.dir, 'elsewhere.toml')
    await writeFile(elsewhere, (await readFile(service.configPath!, 'utf8')).replace(`port = ${httpPort}`, `port = ${await freePort()}`))
    const refused = await deadLetters(service, ['purge', '--all'], elsewhere)
    assert.equal(refused.code, 1, describeRun(refused))
    assert.match(refused.stderr, /is in use by the running service, whose HTTP port does not answer at http:\/\/127\.0\.0\.1:\d+.*nothing was changed/)
    assert.equal(((await (await fetch(`http://127.0.0.1:${httpPort}/dead-letters`)).json()) as { dead_letters: unknown[] }).dead_letters.length, 1)

    await service.stop()
    const unknown = await deadLetters(service, ['replay', '4242'])
    assert.equal(unknown.code, 1, describeRun(unknown))
    assert.match(unknown.stderr, /no dead letter with SEQ 4242/)
    const purge = await deadLetters(service, ['purge', '--all'])
    assert.equal(purge.code, 0, describeRun(purge))
    assert.match(purge.stdout, /^1 dead letter\(s\) purged: 1 /)
    const usage = await deadLetters(service, ['replay'])
    assert.equal(usage.code, 2, describeRun(usage))
    assert.match(usage.stderr, /needs --all or the SEQ numbers/)

    await service.restart()
    const health = await healthOf(service)
    assert.deepEqual(health.body.reasons.filter((r) => r.includes('dead-lettered')), [])
    const status = (await (await fetch(`http://127.0.0.1:${httpPort}/status`)).json()) as { dead_letters: { total: number } }
    assert.equal(status.dead_letters.total, 0)
  })
})
