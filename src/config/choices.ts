import { coerceChoice, coerceInteger, expected } from './coerce.js'
import { CONFIG_LIMITS } from './defaults.js'
import type { LogLevel, OverflowPolicy, Qos, RouteSource, RouteType, StoreKind } from './types.js'

/** `log_level`: debug, info, warn or error (any case). */
export function parseLogLevel(value: unknown, what: string): LogLevel {
  return coerceChoice(value, what, ['debug', 'info', 'warn', 'error'] as const)
}

/** `qos`: 0, 1 or 2, as a number or a string. */
export function parseQos(value: unknown, what: string): Qos {
  const text = typeof value === 'string' ? value.trim() : value
  if (text === 0 || text === '0') return 0
  if (text === 1 || text === '1') return 1
  if (text === 2 || text === '2') return 2
  throw expected(what, '0, 1 or 2', value)
}

/** `protocol_version`: 4 or 5; also the MQTT names "3.1.1" (= 4) and "5.0". */
export function parseProtocolVersion(value: unknown, what: string): 4 | 5 {
  const text = typeof value === 'string' ? value.trim() : value
  if (text === 4 || text === '4' || text === '3.1.1') return 4
  if (text === 5 || text === '5' || text === '5.0') return 5
  throw expected(what, '4 (MQTT 3.1.1) or 5', value)
}

/** `[store] type`: file or memory. */
export function parseStoreKind(value: unknown, what: string): StoreKind {
  return coerceChoice(value, what, ['file', 'memory'] as const)
}

/** `[store] overflow`: drop_oldest or drop_newest. */
export function parseOverflow(value: unknown, what: string): OverflowPolicy {
  return coerceChoice(value, what, ['drop_oldest', 'drop_newest'] as const)
}

/** A route's `type`: default (alias plain) or mfx. */
export function parseRouteType(value: unknown, what: string): RouteType {
  return coerceChoice(value, what, ['default', 'mfx'] as const, { plain: 'default' })
}

/** A route's `source`: core or jetstream. */
export function parseRouteSource(value: unknown, what: string): RouteSource {
  return coerceChoice(value, what, ['core', 'jetstream'] as const)
}

/** `[mqtt] max_inflight`: `auto`, or a number of messages up to what packet ids allow. */
export function parseMaxInflight(value: unknown, what: string): number | 'auto' {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'auto') return 'auto'
  try {
    return coerceInteger(value, what, { min: 1, max: CONFIG_LIMITS.maxInflightMax })
  } catch (err: unknown) {
    if (err instanceof Error && err.message.includes('must be')) throw new Error(`${err.message} (MQTT packet ids allow ${CONFIG_LIMITS.maxInflightMax} unacknowledged messages)`)
    throw expected(what, `"auto" or an integer from 1 to ${CONFIG_LIMITS.maxInflightMax}`, value)
  }
}
