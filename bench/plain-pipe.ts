// The plain-pipe baseline: the fewest lines that bridge NATS to MQTT with the official clients.
// Subscribes to `<subject>` on NATS and publishes each message's payload, unchanged, to
// `<topicPrefix>/<subject with '.' as '/'>` with mqtt.js at the given QoS: no store, no transform,
// default client options (clean session, Nagle on, mqtt.js's in-memory store), and by default no
// bound on messages in flight. Prints "ready" once both connections are up; exits on SIGTERM.
//
// node dist/bench/plain-pipe.js <nats-url> <subject> <mqtt-url> <topicPrefix> <qos> [maxInFlight|0] [flags]
//
// The optional arguments exist for the analysis in docs/performance.md only: `maxInFlight` > 0
// holds messages in an array while that many are unacknowledged; flags (comma-separated):
// `nodelay` turns Nagle off; `coalesce` corks the socket from each read until setImmediate, so the
// PUBRELs (QoS 2) that mqtt.js writes one per nextTick leave in one write. `v5` connects with MQTT 5
// (a scenario, like the service's protocol_version = 5, not a tuning).
import type { Socket } from 'node:net'
import { connect as natsConnect } from '@nats-io/transport-node'
import mqtt from 'mqtt'

const [natsUrl, subject, mqttUrl, prefix, qosArg, maxArg, flagsArg] = process.argv.slice(2)
if (natsUrl === undefined || subject === undefined || mqttUrl === undefined || prefix === undefined) {
  console.error('usage: plain-pipe.js <nats-url> <subject> <mqtt-url> <topicPrefix> <qos> [maxInFlight|0] [flags]')
  process.exit(2)
}
const qos = Number(qosArg ?? 0) as 0 | 1 | 2
const maxInFlight = Number(maxArg ?? 0)

const flags = new Set((flagsArg ?? '').split(','))
const client = await mqtt.connectAsync(mqttUrl, { clientId: `plain-pipe-${process.pid}`, ...(flags.has('v5') ? { protocolVersion: 5 as const } : {}) })
const socket = client.stream as Socket
if (flags.has('nodelay')) socket.setNoDelay(true)
if (flags.has('coalesce')) {
  let held = false
  socket.on('data', () => {
    if (held) return
    held = true
    socket.cork()
    setImmediate(() => {
      held = false
      socket.uncork()
    })
  })
}
const nc = await natsConnect({ servers: natsUrl, name: 'plain-pipe' })

let publish = (topic: string, payload: Buffer): void => {
  client.publish(topic, payload, { qos })
}
if (maxInFlight > 0) {
  // A FIFO with a read index: Array#shift on a long array copies it, once per message.
  let waiting: Array<[string, Buffer]> = []
  let head = 0
  let inFlight = 0
  const done = (): void => {
    inFlight--
    const next = waiting[head]
    if (next === undefined) return
    waiting[head++] = undefined as unknown as [string, Buffer]
    if (head === waiting.length) {
      waiting = []
      head = 0
    }
    send(next[0], next[1])
  }
  const send = (topic: string, payload: Buffer): void => {
    inFlight++
    client.publish(topic, payload, { qos }, done)
  }
  publish = (topic, payload) => {
    if (inFlight < maxInFlight) send(topic, payload)
    else waiting.push([topic, payload])
  }
}

nc.subscribe(subject, {
  callback: (err, msg) => {
    if (!err) publish(`${prefix}/${msg.subject.replaceAll('.', '/')}`, Buffer.from(msg.data))
  },
})
await nc.flush()
process.stdout.write('ready\n')

process.once('SIGTERM', () => {
  void (async () => {
    await nc.close()
    await client.endAsync()
    process.exit(0)
  })()
})
