import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { connect } from '@nats-io/transport-node'
import { encodeMainfluxMessage } from '../../src/route/mfx.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import type { Collector } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import type { NatsServer } from '../helpers/nats-server.js'
import type { ServiceProcess } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor } from '../helpers/wait.js'

/** One sample line of the Prometheus text format. */
interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** A scrape of /metrics: the samples, and the `# TYPE` of each metric family. */
interface Scrape {
  samples: Sample[]
  types: Map<string, string>
  contentType: string
  /** The value of the one sample with this name and (at least) these labels; fails if there is none or several. */
  value(name: string, labels?: Record<string, string>): number
  /** Samples with this name and (at least) these labels. */
  find(name: string, labels?: Record<string, string>): Sample[]
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the Prometheus text exposition format (version 0.0.4), as a scraper would. */
function parseMetrics(text: string, contentType: string): Scrape {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ')
      if (name !== undefined && type !== undefined) types.set(name, type)
      continue
    }
    if (line === '' || line.startsWith('#')) continue
    const m = SAMPLE_LINE.exec(line)
    assert.ok(m, `not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, key, raw] of (m[2] ?? '').matchAll(LABEL)) labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    const raw = m[3]!
    samples.push({ name: m[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) })
  }
  const find = (name: string, labels: Record<string, string> = {}): Sample[] =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return {
    samples,
    types,
    contentType,
    find,
    value(name, labels = {}) {
      const found = find(name, labels)
      assert.equal(found.length, 1, `${found.length} samples of ${name}${JSON.stringify(labels)}`)
      return found[0]!.value
    },
  }
}

async function scrape(httpPort: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(5000) })
  assert.equal(res.status, 200)
  return parseMetrics(await res.text(), res.headers.get('content-type') ?? '')
}

/** Polls /metrics until `ready` holds for a scrape, and returns that scrape. */
async function scrapeUntil(httpPort: number, ready: (s: Scrape) => boolean, what: string, timeoutMs = 15_000): Promise<Scrape> {
  let last: Scrape | undefined
  return waitFor(
    async () => {
      last = await scrape(httpPort)
      return ready(last) && last
    },
    { timeoutMs, what },
  ).catch((err: unknown) => {
    const relevant = last?.samples.filter((s) => s.name.startsWith('export_') && !s.name.includes('latency')) ?? []
    throw new Error(`${what}; last scrape:\n${relevant.map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`, { cause: err })
  })
}

/** Checks a histogram of one route: cumulative buckets, `+Inf` = `_count`; returns count and sum. */
function histogram(s: Scrape, name: string, route: string): { count: number; sum: number } {
  const buckets = s.find(`${name}_bucket`, { route }).map((b) => ({ le: b.labels.le === '+Inf' ? Infinity : Number(b.labels.le), value: b.value }))
  assert.ok(buckets.length > 1, `no buckets of ${name} for route ${route}`)
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(buckets[i]!.le > buckets[i - 1]!.le, `${name} buckets out of order`)
    assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${name} buckets not cumulative at le=${buckets[i]!.le}`)
  }
  const count = s.value(`${name}_count`, { route })
  assert.equal(buckets.at(-1)!.le, Infinity)
  assert.equal(buckets.at(-1)!.value, count, `${name}: the +Inf bucket is not the count`)
  return { count, sum: s.value(`${name}_sum`, { route }) }
}

/** The per-route queue gauges, all of which must be 0 once everything was delivered. */
const QUEUE_GAUGES = ['export_queue_messages', 'export_queue_bytes', 'export_queue_oldest_age_seconds', 'export_messages_in_flight']

describe('/metrics after messages were delivered', () => {
  const N = 500 // default route
  const M = 20 // valid Mainflux messages on the mfx route (plus one invalid payload)
  const td = new Teardown()
  let nats: NatsServer
  let collector: Collector
  let httpPort: number
  let service: ServiceProcess
  let s: Scrape

  before(async () => {
    const world = await startBridgeWorld(td, {
      collector: { topic: 'channels/#', qos: 1 },
      config: {
        qos: 1,
        routes: [
          { nats_topic: 'export', mqtt_topic: 'channels/c1/messages' },
          { nats_topic: 'channels', mqtt_topic: 'channels/c2/messages', type: 'mfx' },
        ],
      },
    })
    nats = world.nats
    collector = world.collector
    httpPort = world.httpPort
    service = world.service

    await publishSequence(nats.url, 'export.seq', N, { batch: 100 })
    const nc = await connect({ servers: nats.url })
    try {
      nc.publish('channels.c2.temp', 'not a Mainflux message')
      for (let i = 0; i < M; i++) {
        nc.publish('channels.c2.temp', encodeMainfluxMessage({ channel: 'c2', publisher: 'thing', protocol: 'nats', payload: Buffer.from(`mfx-${i}`) }))
      }
      await nc.flush()
    } finally {
      await nc.close()
    }
    await collector.waitForCount(N + M, 15_000)
    // The collector may see a message before the bridge has its PUBACK: wait for the bridge's books.
    s = await scrapeUntil(
      httpPort,
      (x) =>
        x.find('export_messages_published_total').reduce((a, b) => a + b.value, 0) >= N + M &&
        QUEUE_GAUGES.every((g) => x.find(g).every((sample) => sample.value === 0)),
      `published_total ${N + M} and empty queues`,
    )
  })
  after(() => td.run())

  it('is Prometheus text with the types a scraper expects', () => {
    assert.match(s.contentType, /^text\/plain; version=0\.0\.4/)
    assert.equal(s.types.get('export_messages_received_total'), 'counter')
    assert.equal(s.types.get('export_messages_published_total'), 'counter')
    assert.equal(s.types.get('export_messages_invalid_total'), 'counter')
    assert.equal(s.types.get('export_messages_dropped_total'), 'counter')
    assert.equal(s.types.get('export_dead_lettered_total'), 'counter')
    assert.equal(s.types.get('export_dead_letters'), 'gauge')
    assert.equal(s.types.get('export_publish_latency_seconds'), 'histogram')
    for (const g of [...QUEUE_GAUGES, 'export_mqtt_connected', 'export_nats_connected']) assert.equal(s.types.get(g), 'gauge', g)
  })

  it('counts what was received, published (= what the broker passed on) and invalid, per route', () => {
    const c1 = collector.messages.filter((m) => m.topic.startsWith('channels/c1/')).length
    const c2 = collector.messages.filter((m) => m.topic.startsWith('channels/c2/')).length
    assert.equal(c1, N)
    assert.equal(c2, M)
    assert.equal(s.value('export_messages_received_total', { route: 'export' }), N)
    assert.equal(s.value('export_messages_published_total', { route: 'export' }), c1)
    for (const reason of ['transform', 'topic', 'too_large']) assert.equal(s.value('export_messages_invalid_total', { route: 'export', reason }), 0)
    assert.equal(s.value('export_messages_received_total', { route: 'channels' }), M + 1)
    assert.equal(s.value('export_messages_published_total', { route: 'channels' }), c2)
    assert.equal(s.value('export_messages_invalid_total', { route: 'channels', reason: 'transform' }), 1)
    assert.equal(s.value('export_messages_invalid_total', { route: 'channels', reason: 'topic' }), 0)
    assert.equal(s.value('export_dead_letters'), 0)
    for (const route of ['export', 'channels']) {
      for (const reason of ['overflow', 'max_age', 'disk_full', 'dead_letter_full']) assert.equal(s.value('export_messages_dropped_total', { route, reason }), 0)
      for (const reason of ['topic', 'too_large', 'repeated_disconnect']) assert.equal(s.value('export_dead_lettered_total', { route, reason }), 0)
      assert.equal(s.value('export_messages_rejected_total', { route }), 0)
    }
  })

  it('shows empty queues once everything is delivered', () => {
    for (const route of ['export', 'channels']) for (const g of QUEUE_GAUGES) assert.equal(s.value(g, { route }), 0, `${g}{route="${route}"}`)
  })

  it('has one latency observation per published message', () => {
    const c1 = histogram(s, 'export_publish_latency_seconds', 'export')
    assert.equal(c1.count, N)
    assert.ok(c1.sum > 0, 'latency sum is 0')
    assert.equal(histogram(s, 'export_publish_latency_seconds', 'channels').count, M)
  })

  it('shows both links up', () => {
    assert.equal(s.value('export_mqtt_connected'), 1)
    assert.equal(s.value('export_nats_connected'), 1)
  })

  // Issue 11, item 5.
  it('says which build runs, the store\'s bound, its size on disk and the free disk, and counts reconnects', async () => {
    const health = (await service.health()).body as { version: string; commit: string }
    assert.equal(s.types.get('export_build_info'), 'gauge')
    assert.equal(s.value('export_build_info', { version: health.version, commit: health.commit }), 1)
    assert.equal(s.find('export_build_info').length, 1)
    assert.equal(s.value('export_store_capacity_bytes'), 1024 ** 3, 'the default max_bytes, 1 GiB')
    // The file store's database and WAL: at least a page, at most what max_bytes allows.
    const size = s.value('export_store_size_bytes')
    assert.ok(size >= 4096 && size <= 1024 ** 3, `export_store_size_bytes ${size}`)
    assert.ok(s.value('export_store_disk_free_bytes') > 0)
    for (const g of ['export_store_capacity_bytes', 'export_store_size_bytes', 'export_store_disk_free_bytes', 'export_mqtt_inflight_window']) assert.equal(s.types.get(g), 'gauge', g)
    for (const c of ['export_mqtt_reconnects_total', 'export_nats_reconnects_total']) {
      assert.equal(s.types.get(c), 'counter', c)
      assert.equal(s.value(c), 0, `${c}: the first connect is not a reconnect`)
    }
  })

  it('includes the default process metrics', () => {
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes']) {
      const [sample] = s.find(name)
      assert.ok(sample !== undefined, `missing ${name}`)
      assert.ok(sample.value > 0, `${name} is ${sample.value}`)
    }
    assert.ok(s.find('nodejs_eventloop_lag_seconds').length > 0, 'missing nodejs_eventloop_lag_seconds')
    // The process metrics are the service's own, not the test runner's.
    const started = s.value('process_start_time_seconds')
    assert.ok(Math.abs(started - Date.now() / 1000) < 600, `process_start_time_seconds ${started}`)
  })
})

describe('/metrics while the broker is down and a tiny store overflows', () => {
  const K = 100
  const MAX_BYTES = 2048
  // Fixed-size payloads, so every message weighs the same against max_bytes.
  const payload = (i: number): Uint8Array => Buffer.from(String(i).padStart(8, '0'))
  const expected = (from: number, to: number): string[] => expectedSequence(to - from, from).map((p) => p.padStart(8, '0'))

  it('counts the drops, shows the backlog, and after the broker is back published = delivered', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    // The bridge reaches the broker through a proxy that refuses connections until restored; the
    // collector connects directly, so it sees everything the broker takes.
    const { nats, proxy, collector, service, httpPort } = await startBridgeWorld(td, {
      proxy: 'cut',
      collector: { topic: 'channels/#', qos: 1 },
      config: { qos: 1, store: { max_bytes: MAX_BYTES, overflow: 'drop_oldest' }, routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages' }] },
      ready: ['connect failed', 'subscribed'],
    })

    await publishSequence(nats.url, 'export.drop', K, { payload, batch: 10 })
    const down = await scrapeUntil(httpPort, (x) => x.value('export_messages_received_total', { route: 'export' }) === K, `received_total ${K}`)
    const receivedBy = Date.now()
    const queued = down.value('export_queue_messages', { route: 'export' })
    const dropped = down.value('export_messages_dropped_total', { route: 'export', reason: 'overflow' })
    assert.equal(down.value('export_mqtt_connected'), 0)
    assert.equal(down.value('export_nats_connected'), 1)
    assert.equal(down.value('export_messages_published_total', { route: 'export' }), 0)
    assert.ok(queued > 0 && dropped > 0, `queued ${queued}, dropped ${dropped}: the store did not overflow`)
    assert.equal(queued + dropped, K, 'received messages are neither queued nor counted as dropped')
    const bytes = down.value('export_queue_bytes', { route: 'export' })
    assert.ok(bytes > 0 && bytes <= MAX_BYTES, `export_queue_bytes ${bytes} with max_bytes ${MAX_BYTES}`)
    assert.ok(down.value('export_queue_oldest_age_seconds', { route: 'export' }) > 0)
    // prom-client shows a labelled histogram only once it has an observation: none yet, or 0.
    const noLatency = down.find('export_publish_latency_seconds_count', { route: 'export' })
    assert.ok(noLatency.every((x) => x.value === 0), 'latency observed while nothing was published')
    assert.equal(collector.count, 0)

    proxy.restore()
    await collector.waitForCount(queued, 30_000)
    // drop_oldest: the newest messages are the ones that waited, and they arrive in order.
    const report = checkSequence(collector.payloads(), expected(K - queued, K))
    assert.ok(report.ok, describeSequence(report))

    const up = await scrapeUntil(
      httpPort,
      (x) => x.value('export_messages_published_total', { route: 'export' }) === queued && x.value('export_queue_messages', { route: 'export' }) === 0,
      `published_total ${queued} and an empty queue`,
    )
    assert.equal(up.value('export_messages_received_total', { route: 'export' }), K)
    assert.equal(up.value('export_messages_published_total', { route: 'export' }), collector.count)
    assert.equal(up.value('export_messages_dropped_total', { route: 'export', reason: 'overflow' }), dropped)
    assert.equal(up.value('export_messages_dropped_total', { route: 'export', reason: 'max_age' }), 0)
    assert.equal(up.value('export_messages_dropped_total', { route: 'export', reason: 'disk_full' }), 0)
    for (const g of QUEUE_GAUGES) assert.equal(up.value(g, { route: 'export' }), 0, g)
    assert.equal(up.value('export_mqtt_connected'), 1)
    assert.equal(up.value('export_mqtt_reconnects_total'), 0, 'the first connect, after a cloud unreachable at start, is not a reconnect')
    assert.equal(up.value('export_store_capacity_bytes'), MAX_BYTES)
    const latency = histogram(up, 'export_publish_latency_seconds', 'export')
    assert.equal(latency.count, queued)
    // Latency runs from receipt to the broker's ack, so it includes the time spent waiting for the
    // link: each message waited at least from `receivedBy` to the reconnect.
    const reconnect = service.logs.filter((e) => e.message === 'connected to MQTT broker').at(-1)
    assert.ok(reconnect !== undefined, 'no reconnect logged')
    const waitedS = (Date.parse(String(reconnect.ts)) - receivedBy) / 1000
    assert.ok(latency.sum >= latency.count * waitedS - 0.01 * latency.count, `latency sum ${latency.sum} s for ${latency.count} messages that waited ≥ ${waitedS} s`)
    t.diagnostic(`queued ${queued}, dropped ${dropped}, waited ≥ ${waitedS.toFixed(3)} s, mean latency ${(latency.sum / latency.count).toFixed(3)} s`)
    const logged = service.logs.filter((e) => e.message === 'messages dropped from the store')
    assert.ok(logged.length >= 1, 'the drops were not logged')
  })
})
