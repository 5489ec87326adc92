// The MQTT reader whose receive times are the bench's figures.
//
// Default: `mosquitto_sub` (C, libmosquitto), a separate process that stamps each message with
// CLOCK_REALTIME when it arrives (`-F '%U %p'`) and writes the lines to a file that the bench parses
// only after the run, so reading costs the 2 cores as little as possible. The alternative `node`
// reader is an mqtt.js subscriber inside the bench process (kept to measure the difference).
import { spawn } from 'node:child_process'
import { createReadStream, openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import mqtt from 'mqtt'
import { requireBinary } from '../test/helpers/binaries.js'
import { killOnExit } from '../test/helpers/daemon.js'
import type { Mosquitto } from '../test/helpers/mosquitto.js'
import { waitFor, withDeadline } from '../test/helpers/wait.js'
import { nowMs, parsePayload } from './payload.js'
import { DeliveryRecorder } from './stats.js'
import type { Delivery } from './stats.js'

export type ReaderKind = 'mosquitto_sub' | 'node'

export interface ReaderOptions {
  kind: ReaderKind
  broker: Mosquitto
  topic: string
  qos: 0 | 1 | 2
  /** Messages to wait for. */
  count: number
  timeoutMs: number
  /** Directory for the mosquitto_sub output file. */
  dir: string
}

/** A subscribed reader; `done()` resolves when `count` messages arrived or the deadline passed. */
export interface Reader {
  done(): Promise<Delivery>
  /** Messages received so far (node reader only; mosquitto_sub's file is read at the end). */
  readonly live: number | undefined
  close(): Promise<void>
}

let readerNo = 0

export async function startReader(o: ReaderOptions): Promise<Reader> {
  return o.kind === 'node' ? startNodeReader(o) : startSubReader(o)
}

async function startSubReader(o: ReaderOptions): Promise<Reader> {
  const id = `bench-reader-${process.pid}-${++readerNo}`
  const file = join(o.dir, `${id}.txt`)
  const fd = openSync(file, 'w')
  const timeoutS = Math.max(1, Math.ceil(o.timeoutMs / 1000))
  const child = spawn(
    requireBinary('mosquitto_sub'),
    ['-h', '127.0.0.1', '-p', String(o.broker.port), '-i', id, '-t', o.topic, '-q', String(o.qos),
      '-C', String(o.count), '-W', String(timeoutS), '-F', '%U %p'],
    { stdio: ['ignore', fd, 'pipe'] },
  )
  closeSync(fd)
  killOnExit(child)
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  // The broker logs "<client id> <qos> <filter>" once the subscription is in place (log_type
  // subscribe): publishing before that would lose the first messages.
  await waitFor(() => o.broker.output().includes(`${id} ${o.qos} ${o.topic}`) || child.exitCode !== null, {
    timeoutMs: 10_000,
    what: `mosquitto_sub ${id} to subscribe`,
  })
  if (child.exitCode !== null) throw new Error(`mosquitto_sub exited: ${stderr}`)
  return {
    live: undefined,
    done: async () => {
      await withDeadline(exited, o.timeoutMs + 5000, `mosquitto_sub ${id} to exit`).catch(() => {
        child.kill('SIGKILL')
      })
      return parseSubFile(file, o.count)
    },
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

async function parseSubFile(file: string, expected: number): Promise<Delivery> {
  const rec = new DeliveryRecorder(expected)
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
  for await (const line of lines) {
    const sp = line.indexOf(' ')
    if (sp < 0) continue
    const p = parsePayload(line.slice(sp + 1))
    if (p === undefined) continue
    rec.add(p.seq, p.sentAtMs, Number(line.slice(0, sp)) * 1000)
  }
  return rec.result()
}

async function startNodeReader(o: ReaderOptions): Promise<Reader> {
  const rec = new DeliveryRecorder(o.count)
  const client = await mqtt.connectAsync(o.broker.url, { clientId: `bench-reader-${process.pid}-${++readerNo}` })
  let resolveDone: (() => void) | undefined
  const finished = new Promise<void>((resolve) => (resolveDone = resolve))
  client.on('message', (_topic, payload) => {
    const t = nowMs()
    const p = parsePayload(payload.toString('latin1'))
    if (p !== undefined) rec.add(p.seq, p.sentAtMs, t)
    if (rec.received >= o.count) resolveDone?.()
  })
  await client.subscribeAsync(o.topic, { qos: o.qos })
  return {
    get live() {
      return rec.received
    },
    done: async () => {
      await withDeadline(finished, o.timeoutMs, 'the node reader').catch(() => undefined)
      return rec.result()
    },
    close: async () => {
      await client.endAsync(true)
    },
  }
}
