import type { RouteType } from '../config/types.js'
import { decodeMainfluxMessage } from './mfx.js'

/**
 * Turns a NATS payload into the MQTT payload. Throws TransformError for a payload the route cannot
 * carry. The result never aliases the NATS client's read buffer: messages wait in the store, and a
 * view into a 64 KiB socket chunk would keep the whole chunk alive.
 */
export type Transform = (payload: Uint8Array) => Buffer

const copyPayload: Transform = (payload) => Buffer.from(payload)

const mfxPayload: Transform = (payload) => Buffer.from(decodeMainfluxMessage(payload).payload)

export function transformFor(type: RouteType): Transform {
  return type === 'mfx' ? mfxPayload : copyPayload
}
