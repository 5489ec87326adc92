import { connect } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'

/** Subjects the simulated devices publish on; the demo config has one route for each prefix. */
export const TELEMETRY_PREFIX = 'export'
export const ALARM_PREFIX = 'alarms'

/** Options of {@link startFleet}. */
export interface FleetOptions {
  natsUrl: string
  /** Devices in the fleet. */
  devices: number
  /** Telemetry messages a second, all devices together. */
  telemetryPerSecond: number
  /** Alarm messages a second, all devices together. */
  alarmsPerSecond: number
}

/** Simulated devices publishing SenML JSON on the gateway's NATS. */
export interface Fleet {
  /** Messages published so far, both kinds. */
  readonly published: number
  /** Stops publishing and closes the NATS connection (after flushing what was published). */
  close(): Promise<void>
}

const TICK_MS = 100

/** SenML (RFC 8428) JSON: a temperature and humidity pair from one device. */
export function telemetrySenml(device: string, timeMs: number, seq: number): string {
  const wave = Math.sin((timeMs / 60_000) * 2 * Math.PI + seq / 50)
  return JSON.stringify([
    { bn: `urn:dev:demo:${device}:`, bt: timeMs / 1000, n: 'temperature', u: 'Cel', v: Math.round((21 + 3 * wave) * 100) / 100 },
    { n: 'humidity', u: '%RH', v: Math.round((45 - 10 * wave) * 10) / 10 },
  ])
}

/** SenML JSON: a door alarm, the kind of message the demo's priority-5 route carries. */
export function alarmSenml(device: string, timeMs: number, open: boolean): string {
  return JSON.stringify([{ bn: `urn:dev:demo:${device}:`, bt: timeMs / 1000, n: 'door', vs: open ? 'open' : 'closed' }])
}

/** Connects to NATS and publishes every {@link TICK_MS} ms until closed. */
export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const nc: NatsConnection = await connect({ servers: opts.natsUrl, name: 'mainflux-export demo fleet' })
  const devices = Array.from({ length: opts.devices }, (_, i) => `dev-${String(i + 1).padStart(2, '0')}`)
  let published = 0
  let seq = 0
  // Fractions carry over so that low rates still average out right.
  let telemetryDue = 0
  let alarmsDue = 0
  const tick = (): void => {
    const now = Date.now()
    telemetryDue += (opts.telemetryPerSecond * TICK_MS) / 1000
    alarmsDue += (opts.alarmsPerSecond * TICK_MS) / 1000
    for (; telemetryDue >= 1; telemetryDue--, seq++) {
      const device = devices[seq % devices.length] ?? 'dev-01'
      nc.publish(`${TELEMETRY_PREFIX}.${device}.climate`, telemetrySenml(device, now, seq))
      published++
    }
    for (; alarmsDue >= 1; alarmsDue--, seq++) {
      const device = devices[(seq * 7) % devices.length] ?? 'dev-01'
      nc.publish(`${ALARM_PREFIX}.${device}.door`, alarmSenml(device, now, seq % 2 === 0))
      published++
    }
  }
  const timer = setInterval(tick, TICK_MS)
  let closing: Promise<void> | undefined
  return {
    get published() {
      return published
    },
    close() {
      closing ??= (async () => {
        clearInterval(timer)
        // drain() flushes what was published; a NATS server that is already gone makes it fail,
        // and then there is nothing left to flush.
        await nc.drain().catch(() => nc.close())
      })()
      return closing
    },
  }
}
