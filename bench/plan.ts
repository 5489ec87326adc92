// What `npm run bench` runs, in full and in quick mode.
import type { Qos, StoreKind } from './systems.js'

export type Mode = 'full' | 'quick'
export type Group = 'burst' | 'workers' | 'paced' | 'drain' | 'rss' | 'readers' | 'profile'
export const GROUPS: readonly Group[] = ['burst', 'workers', 'paced', 'drain', 'rss', 'readers', 'profile']

export interface Plan {
  mode: Mode
  /** Each burst and workers run is repeated this often, interleaved; the median is reported. */
  reps: number
  /** In-flight bound (`workers`) of the service's route in every scenario but the sweep. */
  workers: number
  size: number
  burstCount: number
  burstQos: Qos[]
  stores: StoreKind[]
  workersSweep: number[]
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

/**
 * `workers` of the service in every scenario but the sweep: the best of 10, 100, 1000 in the
 * sweep (the service's own default is 10; see docs/performance.md for why 1000 and its caveat).
 */
export const MATRIX_WORKERS = 1000

export function makePlan(mode: Mode, workers: number | undefined, only: Group[] | undefined): Plan {
  const quick = mode === 'quick'
  const groups = new Set<Group>(only ?? (quick ? ['burst', 'workers', 'paced', 'drain', 'rss'] : GROUPS))
  return {
    mode,
    reps: quick ? 1 : 3,
    workers: workers ?? MATRIX_WORKERS,
    size: 100,
    burstCount: quick ? 20_000 : 100_000,
    burstQos: [0, 1, 2],
    stores: ['memory', 'file'],
    workersSweep: quick ? [10, 1000] : [10, 100, 1000],
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
