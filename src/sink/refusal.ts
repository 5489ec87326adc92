/**
 * An MQTT 5 PUBACK/PUBREC with a reason code ≥ 0x80: the broker will never take this message, so
 * it is counted as rejected and removed instead of being sent again.
 */
export function isRefusal(err: Error): boolean {
  const code = (err as { code?: unknown }).code
  return typeof code === 'number' && code >= 0x80
}
