// Load generator, run as its own process so that publishing does not share an event loop with
// the bench's bookkeeping: publishes `count` bench payloads on a NATS subject with the official
// client, as fast as possible (burst) or paced to `rate` msg/s on an absolute schedule, then
// prints one JSON line {published, firstMs, lastMs} and exits.
//
// node dist/bench/publisher.js <nats-url> <subject> <count> <rate|0> <size> [timeoutMs]
import { setTimeout as delay } from 'node:timers/promises'
import { connect } from '@nats-io/transport-node'
import { benchPayload, nowMs } from './payload.js'

const [url, subject, countArg, rateArg, sizeArg, timeoutArg] = process.argv.slice(2)
if (url === undefined || subject === undefined || countArg === undefined) {
  console.error('usage: publisher.js <nats-url> <subject> <count> <rate|0> <size> [timeoutMs]')
  process.exit(2)
}
const count = Number(countArg)
const rate = Number(rateArg ?? 0)
const size = Number(sizeArg ?? 100)
const timeoutMs = Number(timeoutArg ?? 600_000)
/** A burst is written in slices with a flush between them, so the client's buffer stays bounded. */
const BURST_SLICE = 5000
const encoder = new TextEncoder()

const nc = await connect({ servers: url, name: 'bench-publisher', timeout: 5000 })
const started = nowMs()
const deadline = started + timeoutMs
let published = 0
let firstMs = 0
let lastMs = 0
const send = (): void => {
  const t = nowMs()
  if (published === 0) firstMs = t
  lastMs = t
  nc.publish(subject, encoder.encode(benchPayload(published, t, size)))
  published++
}
if (rate <= 0) {
  while (published < count && nowMs() < deadline) {
    const end = Math.min(count, published + BURST_SLICE)
    while (published < end) send()
    await nc.flush()
  }
} else {
  // Every millisecond (timer granularity), publish whatever is due by now: the schedule is absolute
  // so late ticks catch up instead of lowering the rate.
  while (published < count && nowMs() < deadline) {
    const due = Math.min(count, Math.floor(((nowMs() - started) * rate) / 1000) + 1)
    while (published < due) send()
    await delay(1)
  }
}
await nc.flush()
await nc.close()
process.stdout.write(`${JSON.stringify({ published, firstMs, lastMs })}\n`)
