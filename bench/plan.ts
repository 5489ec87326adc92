// What `npm run bench` runs, in full and in quick mode.
import type { Qos, StoreKind } from './systems.js'

export type Mode = 'full' | 'quick'
export type Group = 'burst' | 'uplink' | 'inflight' | 'paced' | 'drain' | 'rss' | 'readers' | 'profile'
export const GROUPS: readonly Group[] = ['burst', 'uplink', 'inflight', 'paced', 'drain', 'rss', 'readers', 'profile']

export interface Plan {
  mode: Mode
  /** Each burst, uplink and sweep run is repeated this often, interleaved; the median is reported. */
  reps: number
  /**
   * `[mqtt] max_inflight` of the service in every scenario but the sweep: undefined (the default,
   * `auto`) unless `--max-inflight` asks for a tuned run, whose rows are then labelled.
   */
  maxInflight: number | undefined
  size: number
  burstCount: number
  burstQos: Qos[]
  stores: StoreKind[]
  /** Round trips of the delayed uplink (a proxy adding half of it each way), ms. */
  uplinkRtts: number[]
  uplinkQos: Qos[]
  /** Burst size over the uplink, per QoS: QoS 2 stays below 65,535 so the unbounded plain pipe's packet ids never wrap. */
  uplinkCount: Record<Qos, number>
  /** QoS 2 over MQTT 3.1.1 against a broker that takes 20 in flight: about this many seconds per run. */
  limit20Seconds: number
  /** Backlog queued during a cut and drained over the uplink, and that link's round trip. */
  uplinkDrainCount: number
  uplinkDrainRtt: number
  /** The full-window memory run: a paced stream faster than the 600 ms link carries. */
  fullWindowRate: number
  fullWindowSeconds: number
  inflightSweep: number[]
  sweepQos: Qos[]
  pacedRates: number[]
  pacedQos: Qos[]
  pacedSeconds: number
  pacedStores: StoreKind[]
  pacedBaselines: boolean
  drainCount: number
  drainQos: Qos[]
  rssCount: number
  /** Publish rate while filling the queue: below the service's NATS ingest, so no slow consumer. */
  rssRate: number
  profileCount: number
  groups: Set<Group>
}

export function makePlan(mode: Mode, maxInflight: number | undefined, only: Group[] | undefined): Plan {
  const quick = mode === 'quick'
  const groups = new Set<Group>(only ?? (quick ? ['burst', 'uplink', 'paced', 'drain', 'rss'] : GROUPS))
  return {
    mode,
    reps: quick ? 1 : 3,
    maxInflight,
    size: 100,
    burstCount: quick ? 20_000 : 100_000,
    burstQos: [0, 1, 2],
    stores: ['memory', 'file'],
    uplinkRtts: quick ? [100] : [20, 100, 600],
    uplinkQos: [0, 1, 2],
    uplinkCount: quick ? { 0: 20_000, 1: 20_000, 2: 10_000 } : { 0: 100_000, 1: 100_000, 2: 50_000 },
    limit20Seconds: quick ? 5 : 15,
    uplinkDrainCount: quick ? 20_000 : 100_000,
    uplinkDrainRtt: 100,
    fullWindowRate: 20_000,
    fullWindowSeconds: quick ? 5 : 15,
    inflightSweep: quick ? [10, 1000] : [10, 100, 1000],
    sweepQos: quick ? [2] : [0, 1, 2],
    pacedRates: quick ? [5000] : [1000, 5000, 20_000],
    pacedQos: quick ? [1] : [0, 1, 2],
    pacedSeconds: quick ? 3 : 8,
    pacedStores: quick ? ['file'] : ['memory', 'file'],
    pacedBaselines: true,
    drainCount: quick ? 20_000 : 200_000,
    drainQos: quick ? [1] : [0, 1, 2],
    rssCount: quick ? 100_000 : 1_000_000,
    rssRate: 100_000,
    profileCount: 100_000,
    groups,
  }
}

/** Deadline of one run: generous, assuming at least 1,000 msg/s, plus start-up. */
export function runTimeoutMs(count: number): number {
  return 30_000 + count
}
