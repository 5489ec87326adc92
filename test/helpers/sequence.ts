/** A payload that arrived before one that was expected earlier. */
export interface OutOfOrder {
  payload: string
  /** Position in the received list. */
  index: number
  /** Position in the expected list. */
  expectedIndex: number
  /** The payload, expected later, that had already arrived. */
  after: string
}

/** What {@link checkSequence} found. */
export interface SequenceReport {
  /** True when nothing is missing, out of order or unexpected (duplicates are allowed). */
  ok: boolean
  /** Expected payloads that never arrived, in expected order. */
  missing: string[]
  /** First arrivals that came after a payload expected later. */
  outOfOrder: OutOfOrder[]
  /** Arrivals beyond the first of the same payload (QoS 1 redelivery). */
  duplicates: number
  /** Payloads that were not expected at all. */
  unexpected: string[]
}

/**
 * Compares what arrived (for one NATS subject, or one MQTT topic) with what was sent, in order.
 *
 * Only the first arrival of each payload counts for ordering: after a reconnect, QoS 1 resends
 * what was not acknowledged, so `1 2 3 2 3 4` is in order with 2 duplicates, while `1 3 2 4` has
 * 2 out of order. Expected payloads must be unique (e.g. sequence numbers).
 */
export function checkSequence(payloads: readonly string[], expected: readonly string[]): SequenceReport {
  const position = new Map<string, number>()
  for (const [i, p] of expected.entries()) {
    if (position.has(p)) throw new Error(`checkSequence: expected payload "${p}" appears twice (index ${i})`)
    position.set(p, i)
  }
  const seen = new Set<string>()
  const outOfOrder: OutOfOrder[] = []
  const unexpected: string[] = []
  let duplicates = 0
  let highest = -1
  for (const [index, payload] of payloads.entries()) {
    const expectedIndex = position.get(payload)
    if (expectedIndex === undefined) {
      unexpected.push(payload)
      continue
    }
    if (seen.has(payload)) {
      duplicates++
      continue
    }
    seen.add(payload)
    if (expectedIndex < highest) {
      outOfOrder.push({ payload, index, expectedIndex, after: expected[highest] ?? '' })
    } else {
      highest = expectedIndex
    }
  }
  const missing = expected.filter((p) => !seen.has(p))
  return {
    ok: missing.length === 0 && outOfOrder.length === 0 && unexpected.length === 0,
    missing,
    outOfOrder,
    duplicates,
    unexpected,
  }
}

/** A short text of a report for assertion messages: counts and the first few items of each kind. */
export function describeSequence(report: SequenceReport, limit = 10): string {
  const head = <T>(xs: readonly T[]): string =>
    `${xs.slice(0, limit).map((x) => JSON.stringify(x)).join(', ')}${xs.length > limit ? ', …' : ''}`
  return [
    `missing ${report.missing.length}${report.missing.length > 0 ? `: ${head(report.missing)}` : ''}`,
    `out of order ${report.outOfOrder.length}${report.outOfOrder.length > 0 ? `: ${head(report.outOfOrder)}` : ''}`,
    `unexpected ${report.unexpected.length}${report.unexpected.length > 0 ? `: ${head(report.unexpected)}` : ''}`,
    `duplicates ${report.duplicates}`,
  ].join('; ')
}
