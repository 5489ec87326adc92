// One measured run on fresh brokers, for trying a single configuration (the experiments behind
// docs/performance.md). Build first (`npx tsc -p .`), then e.g.:
//
//   node dist/bench/explore.js --system plain --qos 2 --count 30000 --max-in-flight 100 --coalesce
//   node dist/bench/explore.js --system service --qos 2 --max-in-flight 100 --broker-config 'max_inflight_messages 20'
//   node dist/bench/explore.js --system service --qos 1 --rtt 600 --count 100000
//   node dist/bench/explore.js --system plain --qos 0 --count 40000 --rate 5000 --nodelay
//
// --system service|plain|mosquitto_pub; --store memory|file; --reader mosquitto_sub|node;
// --max-in-flight N: the plain pipe's bound, or the service's `[mqtt] max_inflight` (default: auto);
// --rtt MS: the service or pipe reaches the broker through a proxy adding MS of round trip; --v5;
// --profile DIR writes a CPU profile of the process under test; BENCH_DEBUG=1 prints the
// service's last log lines.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startMosquitto } from '../test/helpers/mosquitto.js'
import { startNats } from '../test/helpers/nats-server.js'
import { startTcpProxy } from '../test/helpers/tcp-proxy.js'
import { Teardown } from '../test/helpers/teardown.js'
import { measure, summary } from './measure.js'
import { runTimeoutMs } from './plan.js'
import { findPid } from './proc.js'
import type { ReaderKind } from './reader.js'
import type { Qos, StoreKind, SystemSpec } from './systems.js'

const { values: o } = parseArgs({
  options: {
    system: { type: 'string', default: 'service' },
    qos: { type: 'string', default: '1' },
    count: { type: 'string', default: '50000' },
    rate: { type: 'string', default: '0' },
    rtt: { type: 'string', default: '0' },
    v5: { type: 'boolean', default: false },
    store: { type: 'string', default: 'file' },
    'max-in-flight': { type: 'string', default: '0' },
    nodelay: { type: 'boolean', default: false },
    coalesce: { type: 'boolean', default: false },
    reader: { type: 'string', default: 'mosquitto_sub' },
    'broker-config': { type: 'string' },
    profile: { type: 'string' },
  },
})
const qos = Number(o.qos) as Qos
const profile = o.profile !== undefined ? { cpuProfileDir: o.profile } : {}
const maxInFlight = Number(o['max-in-flight'])
const protocol = o.v5 === true ? { protocolVersion: 5 as const } : {}
let spec: SystemSpec
switch (o.system) {
  case 'service':
    spec = { kind: 'service', qos, store: o.store as StoreKind, ...(maxInFlight > 0 ? { maxInflight: maxInFlight } : {}), ...protocol, ...profile }
    break
  case 'plain':
    spec = { kind: 'plain', qos, maxInFlight, noDelay: o.nodelay, coalesce: o.coalesce, ...protocol, ...profile }
    break
  case 'mosquitto_pub':
    spec = { kind: 'mosquitto_pub', qos, noDelay: o.nodelay }
    break
  default:
    throw new Error(`--system: service, plain or mosquitto_pub, not "${o.system}"`)
}

const teardown = new Teardown()
try {
  const dir = await mkdtemp(join(tmpdir(), 'mfx-bench-'))
  teardown.add(() => rm(dir, { recursive: true, force: true }), 'scratch dir')
  const nats = teardown.use(await startNats(), 'nats-server')
  const extra = o['broker-config'] !== undefined ? `\n${o['broker-config']}` : ''
  const broker = teardown.use(await startMosquitto({ extraConfig: `log_type subscribe${extra}` }), 'mosquitto')
  const count = Number(o.count)
  const rtt = Number(o.rtt)
  if (rtt > 0 && spec.kind !== 'mosquitto_pub') {
    const proxy = teardown.use(await startTcpProxy(broker.port, { delayMs: rtt / 2 }), 'proxy')
    spec = { ...spec, mqttPort: proxy.port }
  }
  const env = {
    nats, broker, dir, reader: o.reader as ReaderKind,
    brokerPid: findPid(broker.configPath) ?? -1,
    natsPid: findPid(`-p ${nats.port} `) ?? -1,
  }
  const r = await measure(env, 'explore', spec, { count, rate: Number(o.rate), size: 100 }, runTimeoutMs(count))
  console.log(summary(r))
} finally {
  await teardown.run()
}
