import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import { TransformError } from '../errors.js'

// The .proto is kept in the repository (proto/message.proto) and loaded with protobufjs, so the wire
// format is decoded by a protobuf library, not by hand. The compiled module runs from
// dist/src/route/, the source (under a TS loader) from src/route/: hence two candidate paths.
const PROTO_CANDIDATES = ['../../../proto/message.proto', '../../proto/message.proto']

/** A decoded Mainflux `messaging.Message`. */
export interface MainfluxMessage {
  channel: string
  subtopic: string
  publisher: string
  protocol: string
  payload: Uint8Array
  /** Unix time in nanoseconds; protobufjs gives a number or a Long for int64. */
  created: number | { toString(): string }
}

let messageType: protobuf.Type | undefined

function loadMessageType(): protobuf.Type {
  if (messageType) return messageType
  let lastError: unknown
  for (const candidate of PROTO_CANDIDATES) {
    try {
      const root = protobuf.loadSync(fileURLToPath(new URL(candidate, import.meta.url)))
      messageType = root.lookupType('messaging.Message')
      return messageType
    } catch (err: unknown) {
      lastError = err
    }
  }
  throw new Error('cannot load proto/message.proto', { cause: lastError })
}

/** Decodes a Mainflux message; throws TransformError when the bytes are not one. */
export function decodeMainfluxMessage(bytes: Uint8Array): MainfluxMessage {
  const type = loadMessageType()
  let decoded: protobuf.Message
  try {
    decoded = type.decode(bytes)
  } catch (err: unknown) {
    throw new TransformError('payload is not a Mainflux protobuf message', { cause: err })
  }
  const msg = decoded as unknown as MainfluxMessage
  // Unknown fields are skipped by protobuf decoders, so arbitrary bytes can decode to an empty
  // message. A real Mainflux message always names its channel and publisher or carries a payload.
  if (msg.channel === '' && msg.publisher === '' && msg.payload.length === 0) {
    throw new TransformError('payload is not a Mainflux protobuf message: no channel, publisher or payload')
  }
  return msg
}

/** Encodes a Mainflux message (used by tests and tools that publish like a Mainflux adapter). */
export function encodeMainfluxMessage(msg: Partial<MainfluxMessage>): Uint8Array {
  const type = loadMessageType()
  return type.encode(type.create(msg)).finish()
}
