import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, it } from 'node:test'
import { startCollector } from '../helpers/mqtt-collector.js'
import { Teardown } from '../helpers/teardown.js'
import { canConnect, waitFor, withDeadline } from '../helpers/wait.js'

const DEMO_MAIN = 'dist/src/demo/main.js'

interface Health {
  mqtt: string
  queued: number
}

async function health(httpPort: number): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/health`)
  return (await res.json()) as Health
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false // ESRCH: gone
  }
}

void describe('npm run demo', () => {
  void it('starts brokers, service and fleet, sends both routes to the broker through a cut, and removes everything on SIGINT', async (t) => {
    const td = new Teardown()
    t.after(() => td.run())
    // A short cycle (up 3 s, cut 2 s) so that a cut and its drain happen within the test.
    const demo = spawn(process.execPath, [DEMO_MAIN, '--http-port', '0', '--cut-every', '5', '--cut-for', '2', '--rate', '100', '--report-every', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    demo.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    demo.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => demo.once('close', (code, signal) => resolve({ code, signal })))
    let pids: number[] = []
    td.add(async () => {
      // Only if the test failed before its SIGINT: the demo's children run in their own group.
      if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL')
      for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL')
      await exited
    }, 'demo')

    const banner = await waitFor(() => /Ctrl-C stops the demo/.test(out) && out, { timeoutMs: 30_000, what: 'the demo banner' }).catch((err: unknown) => {
      throw new Error(`the demo did not start:\n${out}`, { cause: err })
    })
    const httpPort = Number(/Status page: http:\/\/127\.0\.0\.1:(\d+)\//.exec(banner)?.[1])
    const brokerPort = Number(/cloud MQTT +mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1])
    const natsPort = Number(/NATS +nats:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1])
    const tempDir = /temp dir +(\S+)/.exec(banner)?.[1] ?? ''
    pids = [/nats-server pid (\d+)/, /mosquitto pid (\d+)/, /service +pid (\d+)/].map((re) => Number(re.exec(banner)?.[1]))
    assert.ok(httpPort > 0 && brokerPort > 0 && natsPort > 0, `ports in the banner:\n${banner}`)
    assert.ok(pids.every((pid) => pid > 0), `nats-server, mosquitto and service pids in the banner:\n${banner}`)
    assert.ok(existsSync(tempDir), `temp dir ${tempDir} exists while the demo runs`)

    // What reaches the broker: SenML JSON on both routes' topics.
    const cloud = td.use(await startCollector({ url: `mqtt://127.0.0.1:${brokerPort}`, topic: 'channels/demo/messages/#', qos: 0 }), 'collector')
    await waitFor(() => cloud.messages.some((m) => m.topic.includes('/alarms/')) && cloud.messages.some((m) => m.topic.includes('/export/')), {
      timeoutMs: 20_000,
      what: 'telemetry and alarm messages at the broker',
    })
    const telemetry = cloud.messages.find((m) => /^channels\/demo\/messages\/export\/dev-\d+\/climate$/.test(m.topic))
    assert.ok(telemetry, `a telemetry topic, got ${cloud.messages[0]?.topic}`)
    const senml = JSON.parse(telemetry.payload.toString('utf8')) as Array<{ bn?: string; n: string; v?: number }>
    assert.ok(Array.isArray(senml) && typeof senml[0]?.bn === 'string' && typeof senml[0].v === 'number', `SenML: ${telemetry.payload.toString()}`)

    // The cut: the service queues while the link is down, and drains once it is back.
    await waitFor(() => /cloud link CUT/.test(out), { timeoutMs: 20_000, what: 'a link cut' })
    await waitFor(async () => (await health(httpPort)).queued > 50, { timeoutMs: 10_000, what: 'messages queued during the cut' })
    await waitFor(() => /cloud link restored/.test(out), { timeoutMs: 10_000, what: 'the link to be restored' })
    const before = cloud.count
    await waitFor(async () => (await health(httpPort)).mqtt === 'connected' && cloud.count > before + 50, { timeoutMs: 30_000, what: 'the drain after the cut' })

    demo.kill('SIGINT')
    const status = await withDeadline(exited, 30_000, 'the demo to exit after SIGINT')
    assert.deepEqual(status, { code: 0, signal: null }, out)
    assert.match(out, /demo stopped; removed/)
    assert.equal(existsSync(tempDir), false, `${tempDir} removed`)
    for (const pid of pids) assert.equal(isRunning(pid), false, `pid ${pid} stopped:\n${out}`)
    for (const port of [natsPort, brokerPort, httpPort]) assert.equal(await canConnect(port), false, `port ${port} closed`)
  })

  void it('exits 2 with the usage on a bad flag, before starting anything', async () => {
    const run = spawn(process.execPath, [DEMO_MAIN, '--cut-every', '5', '--cut-for', '9'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    run.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
    const code = await withDeadline(new Promise<number | null>((resolve) => run.once('close', resolve)), 10_000, 'the demo to exit')
    assert.equal(code, 2)
    assert.match(err, /--cut-for \(9\) must be shorter than --cut-every \(5\)/)
    assert.match(err, /Usage:/)
  })
})
