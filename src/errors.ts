import { maskText } from './secret-mask.js'
import type { DeadLetterReason } from './store/dead-letters.js'

/**
 * Every failure the service reports has a stable `code` (listed in README, "Error codes"),
 * a message that names the file, key or route at fault, and the underlying `cause`. Messages are
 * masked (src/secret-mask.ts): an error built from a bad URL never carries its password.
 */
export type ErrorCode =
  | 'EXP_CONFIG_INVALID'
  | 'EXP_CONFIG_UNREADABLE'
  | 'EXP_CONFIG_WRITE_FAILED'
  | 'EXP_TLS_INVALID'
  | 'EXP_STORE_UNAVAILABLE'
  | 'EXP_STORE_FULL'
  | 'EXP_STORE_CORRUPT'
  | 'EXP_TRANSFORM_FAILED'
  | 'EXP_TOPIC_INVALID'
  | 'EXP_MESSAGE_TOO_LARGE'
  | 'EXP_DEAD_LETTERED'
  | 'EXP_SERVICE_UNREACHABLE'
  | 'EXP_USAGE'

export class BridgeError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(maskText(message), options)
    this.code = code
    this.name = 'BridgeError'
  }
}

/** The config file or environment cannot be turned into a valid configuration. */
export class ConfigError extends BridgeError {
  constructor(message: string, options?: { cause?: unknown; code?: 'EXP_CONFIG_INVALID' | 'EXP_CONFIG_UNREADABLE' }) {
    super(options?.code ?? 'EXP_CONFIG_INVALID', message, options)
    this.name = 'ConfigError'
  }
}

/** Certificates or keys named by `[mqtt]` cannot be used. */
export class TlsConfigError extends BridgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EXP_TLS_INVALID', message, options)
    this.name = 'TlsConfigError'
  }
}

/** The message store cannot be opened or written. */
export class StoreError extends BridgeError {
  constructor(code: 'EXP_STORE_UNAVAILABLE' | 'EXP_STORE_FULL' | 'EXP_STORE_CORRUPT', message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'StoreError'
  }
}

/** A payload could not be transformed for its route (e.g. not a Mainflux protobuf message). */
export class TransformError extends BridgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EXP_TRANSFORM_FAILED', message, options)
    this.name = 'TransformError'
  }
}

/**
 * A message was taken out of its queue into the dead-letter table: it would have blocked the
 * connection every route shares (issue 10). `reason` is the `reason` label of
 * `export_dead_lettered_total`; `detail` says what happened, for the log and the table.
 */
export class DeadLetterError extends BridgeError {
  readonly reason: DeadLetterReason
  readonly detail: string
  constructor(reason: DeadLetterReason, detail: string) {
    super('EXP_DEAD_LETTERED', `message dead-lettered (${reason}): ${detail}`)
    this.name = 'DeadLetterError'
    this.reason = reason
    this.detail = detail
  }
}

/** The command line could not reach the running service over HTTP, nor open its store. */
export class ServiceUnreachableError extends BridgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EXP_SERVICE_UNREACHABLE', message, options)
    this.name = 'ServiceUnreachableError'
  }
}

/** Bad command-line usage. */
export class UsageError extends BridgeError {
  constructor(message: string) {
    super('EXP_USAGE', message)
    this.name = 'UsageError'
  }
}

/**
 * A printable one-line description of any thrown value, with its cause chain, secrets masked: the
 * text every log line, `last_error` and CLI message is made of.
 */
export function describeError(err: unknown): string {
  return maskText(describeChain(err))
}

function describeChain(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? `: ${describeChain(err.cause)}` : ''
  return `${err.message}${cause}`
}
