import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { jetstream, jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import { freePort } from '../helpers/free-port.js'
import { bridgeConfigToml } from '../helpers/bridge-config.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { startCollector } from '../helpers/mqtt-collector.js'
import { startNatsCluster } from '../helpers/nats-server.js'
import type { NatsCluster, NatsServer } from '../helpers/nats-server.js'
import { startService } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

const COUNT = 3000
const RATE_PER_SEC = 500
const STREAM = 'EXPORT'
/** How long one message is retried while the cluster elects a leader. */
const RETRY_FOR_MS = 20_000
/** After this, whatever is left is given up at once: the loop is bounded in time as in count. */
const PUBLISH_DEADLINE_MS = 90_000

/** The node the service is connected to, by its monitoring page (`/connz` names the client). */
async function nodeOfService(cluster: NatsCluster): Promise<NatsServer | undefined> {
  for (const node of cluster.nodes) {
    if (!node.running) continue
    try {
      const res = await fetch(`http://127.0.0.1:${node.monitorPort}/connz`, { signal: AbortSignal.timeout(2000) })
      const connz = (await res.json()) as { connections?: Array<{ name?: string }> }
      if (connz.connections?.some((c) => c.name === 'mainflux-export')) return node
    } catch {
      // A node that does not answer is not the one: the next is asked.
    }
  }
  return undefined
}

/** The node that leads the stream now. */
async function leaderOf(nc: NatsConnection, cluster: NatsCluster): Promise<NatsServer> {
  const info = await (await jetstreamManager(nc)).streams.info(STREAM)
  const leader = info.cluster?.leader
  assert.ok(leader !== undefined && leader !== '', 'the stream has no leader')
  return cluster.byName(leader)
}

/**
 * Publishes `COUNT` messages through JetStream at `RATE_PER_SEC`, as a careful publisher would: each
 * one is sent again until NATS acknowledges it (with a message id, so that a retry of a message that
 * was stored after all is not stored twice), for up to `RETRY_FOR_MS`; then it is given up and
 * counted. Past `PUBLISH_DEADLINE_MS`, nothing is retried. `progress` tells the test how far it is.
 */
async function publishThroughFaults(nc: NatsConnection, progress: { sent: number; acked: Set<string>; failed: number }): Promise<void> {
  const js = jetstream(nc, { timeout: 2000 })
  const started = Date.now()
  for (let i = 0; i < COUNT; i++) {
    const wait = started + (i * 1000) / RATE_PER_SEC - Date.now()
    if (wait > 0) await delay(wait)
    const giveUpAt = Math.min(Date.now() + RETRY_FOR_MS, started + PUBLISH_DEADLINE_MS)
    for (;;) {
      try {
        await js.publish('telemetry.seq', String(i), { msgID: `seq-${i}` })
        progress.acked.add(String(i))
        break
      } catch {
        // No leader yet, or the node went away: NATS promised nothing for this one; try again.
        if (Date.now() > giveUpAt) {
          progress.failed++
          break
        }
        await delay(100)
      }
    }
    progress.sent = i + 1
  }
}

// Issue 10, item 6: the NATS side fails over.
describe('a JetStream route on a three-node NATS cluster', () => {
  it('loses nothing NATS acknowledged when the node it is connected to, then the stream leader, are killed', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    const cluster = td.use(await startNatsCluster({ size: 3 }), 'nats cluster')
    const mosquitto = td.use(await startMosquitto(), 'mosquitto')
    const collector = td.use(await startCollector({ url: mosquitto.url, topic: 'channels/c1/messages/#', qos: 1 }), 'collector')
    const httpPort = await freePort()
    const service = td.use(
      await startService({
        httpPort,
        configText: bridgeConfigToml({
          natsUrl: cluster.urls,
          mqttUrl: mosquitto.url.replace('mqtt://', 'tcp://'),
          httpPort,
          qos: 1,
          routes: [{ nats_topic: 'telemetry', mqtt_topic: 'channels/c1/messages', source: 'jetstream', stream: STREAM, workers: 50 }],
        }),
      }),
      'service',
    )
    await service.waitForLog((e) => e.message === 'route subscribed', 30_000, 'the JetStream route subscribed')

    const nc = await connect({ servers: cluster.urls.split(','), name: 'test-publisher', maxReconnectAttempts: -1, reconnectTimeWait: 250 })
    td.add(() => nc.close(), 'publisher')
    const created = await (await jetstreamManager(nc)).streams.info(STREAM)
    assert.equal(created.config.num_replicas, 3, 'the service did not replicate its stream on the cluster')

    const progress = { sent: 0, acked: new Set<string>(), failed: 0 }
    const publishing = publishThroughFaults(nc, progress)
    const reached = (n: number): Promise<unknown> => waitFor(() => progress.sent >= n, { timeoutMs: 60_000, what: `${n} messages published` })

    // A third of the way: the node the service reads from dies.
    await reached(COUNT / 3)
    const first = await nodeOfService(cluster)
    assert.ok(first !== undefined, 'no node has the service connected')
    await first.kill()
    await service.waitForLog((e) => e.message === 'NATS reconnected', 20_000, 'the service reconnected to another node')
    // It comes back, so that killing the leader next leaves a majority.
    await first.restart()

    // Two thirds: the stream's leader dies (it may be any node, the service's new one included),
    // and stays dead: the two others must carry the stream and the service on their own.
    await reached((2 * COUNT) / 3)
    const leader = await waitFor(() => leaderOf(nc, cluster).catch(() => false as const), { timeoutMs: 20_000, what: 'the stream leader' })
    await leader.kill()
    await publishing

    const acked = [...progress.acked]
    t.diagnostic(`${acked.length} acknowledged by NATS, ${progress.failed} given up after ${RETRY_FOR_MS} ms of retries`)
    // The cluster itself must have kept working, or the test proves nothing.
    assert.ok(acked.length >= COUNT * 0.9, `only ${acked.length} of ${COUNT} acknowledged: the cluster did not keep working`)
    const delivered = (): Set<string> => new Set(collector.payloads())
    await waitFor(() => acked.every((p) => delivered().has(p)), { timeoutMs: 60_000, what: 'every acknowledged message at the broker' }).catch(
      () => undefined, // the assertion below names what is missing
    )
    const have = delivered()
    const missing = acked.filter((p) => !have.has(p))
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} acknowledged messages never reached the broker`)
    t.diagnostic(`${collector.count} delivered (${collector.count - have.size} duplicates)`)
  })
})
