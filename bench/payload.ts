// The bench payload: "<seq> <publish time, ms since the epoch, µs precision> xxxx…", ASCII, one line.
// ASCII without newlines so the same payload can be fed to `mosquitto_pub -l` one per line and
// printed by `mosquitto_sub -F '%U %p'` one per line.

/** Wall-clock milliseconds with sub-millisecond precision (CLOCK_REALTIME, as mosquitto_sub's %U). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

/** Payload of message `seq`, published at `sentAtMs`, padded with 'x' to `size` bytes. */
export function benchPayload(seq: number, sentAtMs: number, size: number): string {
  const head = `${seq} ${sentAtMs.toFixed(3)} `
  return head.length >= size ? head : head + 'x'.repeat(size - head.length)
}

/** The sequence number and publish time in a payload made by {@link benchPayload}. */
export function parsePayload(text: string): { seq: number; sentAtMs: number } | undefined {
  const a = text.indexOf(' ')
  const b = a < 0 ? -1 : text.indexOf(' ', a + 1)
  if (b < 0) return undefined
  const seq = Number(text.slice(0, a))
  const sentAtMs = Number(text.slice(a + 1, b))
  return Number.isFinite(seq) && Number.isFinite(sentAtMs) ? { seq, sentAtMs } : undefined
}
