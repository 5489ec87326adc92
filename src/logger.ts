import { pino } from 'pino'
import type { Logger } from 'pino'
import type { LogLevel } from './config/types.js'

export type { Logger }

/**
 * Paths redacted wherever they appear in a logged object. Secrets come from `[mqtt]` and the legacy
 * `[exp]` cache settings; matching both the file spelling and the in-memory spelling.
 */
const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'clientKey',
  '*.clientKey',
  '*.*.clientKey',
  'client_cert_key',
  '*.client_cert_key',
  '*.*.client_cert_key',
  'cache_pass',
  '*.cache_pass',
  '*.*.cache_pass',
]

/**
 * The root logger: one JSON object a line on stdout, `{"level","message","ts"}` like the other
 * Mainflux services (SPEC §10). Components take children with `{ component, route }`.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      messageKey: 'message',
      errorKey: 'err',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '***' },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  )
}
