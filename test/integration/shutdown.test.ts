import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import type { TestRoute } from '../helpers/bridge-config.js'
import { startBridgeWorld } from '../helpers/bridge-world.js'
import { checkSequence, describeSequence } from '../helpers/mqtt-collector.js'
import { expectedSequence, publishSequence } from '../helpers/nats-publisher.js'
import { scrapeMetric } from '../helpers/service-metrics.js'
import type { ServiceProcess } from '../helpers/service-process.js'
import { Teardown } from '../helpers/teardown.js'
import { waitFor, withDeadline } from '../helpers/wait.js'

/** The 5 s shutdown deadline (docs/operations.md): finish in-flight work for up to 5 s, then exit 0; a little slack for process start-up and exit. */
const EXIT_WITHIN_MS = 6000

/** Brokers, a reader and a running bridge with the memory store, all stopped after the test. */
async function startBridge(t: TestContext, routes?: TestRoute[], mqtt?: Record<string, unknown>) {
  const td = new Teardown()
  t.after(() => td.run())
  return startBridgeWorld(td, { collector: { topic: 'channels/c1/messages/#', qos: 1 }, config: { qos: 1, store: { type: 'memory' }, routes, mqtt } })
}

async function receivedTotal(httpPort: number): Promise<number> {
  return scrapeMetric(httpPort, 'export_messages_received_total', { route: 'export' })
}

/** Sends `signal` and waits for the exit; returns the exit status and how long it took. */
async function signalAndWait(service: ServiceProcess, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const sentAt = Date.now()
  // The deadline only keeps a hung service from hanging the test; the assert below is the contract.
  const status = await withDeadline(service.kill(signal), 15_000, `the service to exit after ${signal}`)
  return { ...status, ms: Date.now() - sentAt }
}

/** The graceful stop, with the memory store: what is not sent by the exit is lost, so it must be sent. */
describe('shutdown on SIGTERM and SIGINT', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`exits 0 within 6 s on ${signal} while messages flow, logs "stopped", and has sent every message it took`, async (t) => {
      const COUNT = 6000
      const { nats, collector, service, httpPort } = await startBridge(t)
      const publishing = publishSequence(nats.url, 'export.flow', COUNT, { ratePerSec: 2000, batch: 100 })
      await collector.waitForCount(1000, 10_000)
      const receivedBefore = await receivedTotal(httpPort)

      const exit = await signalAndWait(service, signal)
      assert.equal(exit.code, 0, `exit ${String(exit.code)} (signal ${String(exit.signal)})`)
      assert.ok(exit.ms < EXIT_WITHIN_MS, `took ${exit.ms} ms to exit`)
      const shuttingDown = service.logs.find((e) => e.message === 'shutting down')
      assert.equal(shuttingDown?.signal, signal)
      const stopped = service.logs.find((e) => e.message === 'stopped')
      assert.ok(stopped !== undefined, 'no "stopped" log line')
      assert.equal(stopped.queued, 0)
      await publishing

      // The messages the bridge took are a prefix of the stream (it stopped taking more at the
      // signal), at least those it had counted before it, and the reader has them all in order.
      await waitFor(() => new Set(collector.payloads()).size >= receivedBefore, {
        timeoutMs: 5000,
        what: `the ${receivedBefore} messages received before ${signal}`,
      }).catch(() => undefined) // the report below says what is missing
      const delivered = new Set(collector.payloads()).size
      assert.ok(delivered >= receivedBefore, `${receivedBefore} received before ${signal}, ${delivered} delivered`)
      const report = checkSequence(collector.payloads(), expectedSequence(delivered))
      assert.ok(report.ok, describeSequence(report))
      assert.ok(delivered < COUNT, `the stream (${COUNT}) had ended before ${signal}: nothing was flowing`)
      t.diagnostic(`${signal}: exit after ${exit.ms} ms; ${receivedBefore} received before the signal, ${delivered} delivered`)
    })
  }

  it('sends, before exiting on SIGTERM, the backlog it received with the broker up (memory store)', async (t) => {
    const COUNT = 10_000
    // One message in flight at a time: the bridge receives the burst much faster than it sends it.
    const { nats, collector, service, httpPort } = await startBridge(t, [{ nats_topic: 'export', mqtt_topic: 'channels/c1/messages' }], { max_inflight: 1 })
    await publishSequence(nats.url, 'export.backlog', COUNT, { batch: 1000 })
    await waitFor(async () => (await receivedTotal(httpPort)) === COUNT, { timeoutMs: 10_000, what: `all ${COUNT} messages received` })
    const deliveredAtSignal = collector.count
    assert.ok(deliveredAtSignal < COUNT, 'no backlog was left to send at the signal')

    const exit = await signalAndWait(service, 'SIGTERM')
    assert.equal(exit.code, 0)
    assert.ok(exit.ms < EXIT_WITHIN_MS, `took ${exit.ms} ms to exit`)
    const stopped = service.logs.find((e) => e.message === 'stopped')
    assert.ok(stopped !== undefined, 'no "stopped" log line')
    assert.equal(stopped.queued, 0)
    assert.equal(stopped.store, 'memory')

    await waitFor(() => new Set(collector.payloads()).size >= COUNT, { timeoutMs: 5000, what: `${COUNT} distinct messages` }).catch(
      () => undefined, // the report below says what is missing
    )
    const report = checkSequence(collector.payloads(), expectedSequence(COUNT))
    assert.ok(report.ok, describeSequence(report))
    t.diagnostic(`${COUNT - deliveredAtSignal} messages waiting at SIGTERM; exit after ${exit.ms} ms`)
  })
})
