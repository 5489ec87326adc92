import { pino } from 'pino'
import type { LogFn, Logger } from 'pino'
import type { LogLevel } from './config/types.js'
import { maskSecrets, maskText } from './secret-mask.js'

export type { Logger }

/**
 * Every argument of a log call, masked: the message (it may be an error text quoting a URL), the
 * fields (secret keys at any depth, and secrets inside strings) and format arguments. Redacting by
 * key alone would let a password inside a URL or an error message through (issue 10).
 */
function maskArgument(arg: unknown): unknown {
  return typeof arg === 'string' ? maskText(arg) : maskSecrets(arg)
}

/**
 * The destination, behind a last mask over each finished line: it catches what the call's
 * arguments do not carry, such as a child's bindings (pino serialises those once, at `child()`).
 */
function maskedDestination(destination: pino.DestinationStream): pino.DestinationStream {
  return { write: (line: string) => destination.write(maskText(line)) }
}

/**
 * The root logger: one JSON object a line on stdout, `{"level","message","ts"}` like the other
 * Mainflux services (README.md, "Logs"). Components take children with `{ component, route }`. Secrets never
 * reach the destination, at any level (src/secret-mask.ts): the arguments of each call are masked
 * by key and by shape, then the finished line by shape once more.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      messageKey: 'message',
      errorKey: 'err',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
      },
      hooks: {
        logMethod(args: Parameters<LogFn>, method: LogFn): void {
          // pino's overloads cannot be named for a spread of masked arguments; the shapes are unchanged.
          const masked = args.map(maskArgument) as Parameters<LogFn>
          method.apply(this, masked)
        },
      },
    },
    maskedDestination(destination ?? pino.destination({ dest: 1, sync: true })),
  )
}
