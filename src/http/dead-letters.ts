import type { IncomingMessage } from 'node:http'
import { BridgeError, describeError } from '../errors.js'
import type { DeadLetter, DeadLetterSelection } from '../store/dead-letters.js'
import type { HttpServer } from './server.js'
import { sendJson } from './server.js'

/** What the dead-letter endpoints need of the service. */
export interface DeadLetterActions {
  deadLetters(): readonly DeadLetter[]
  replayDeadLetters(selection: DeadLetterSelection): DeadLetter[]
  purgeDeadLetters(selection: DeadLetterSelection): DeadLetter[]
}

/** A dead letter in the JSON of /dead-letters and /status (snake_case, times as RFC 3339). */
export function deadLetterJson(d: DeadLetter): Record<string, unknown> {
  return {
    seq: d.seq,
    route: d.route,
    topic: d.topic,
    bytes: d.bytes,
    reason: d.reason,
    detail: d.detail,
    received_at: new Date(d.receivedAt).toISOString(),
    dead_lettered_at: new Date(d.deadLetteredAt).toISOString(),
  }
}

const MAX_BODY_BYTES = 64 * 1024

/**
 * `GET /dead-letters`, `POST /dead-letters/replay` and `POST /dead-letters/purge` (issue 10): what
 * `mainflux-export dead-letters list|replay|purge` uses while the service runs. A POST body names
 * the dead letters, `{"seqs":[12,13]}` or `{"all":true}`. The POSTs change state: the server's
 * action guard checks them (origin, token) before they get here.
 */
export function registerDeadLetters(http: HttpServer, actions: DeadLetterActions): void {
  http.on('GET', '/dead-letters', (_req, res) => {
    sendJson(res, 200, { dead_letters: actions.deadLetters().map(deadLetterJson) })
  })
  const action = (path: string, key: 'replayed' | 'purged', run: (s: DeadLetterSelection) => DeadLetter[]): void => {
    http.on('POST', path, async (req, res) => {
      let selection: DeadLetterSelection
      try {
        selection = parseSelection(await readBody(req))
      } catch (err: unknown) {
        sendJson(res, 400, { error: describeError(err) })
        return
      }
      try {
        const done = run(selection)
        sendJson(res, 200, { [key]: done.length, seqs: done.map((d) => d.seq) })
      } catch (err: unknown) {
        if (!(err instanceof BridgeError)) throw err
        sendJson(res, 503, { error: describeError(err), code: err.code })
      }
    })
  }
  action('/dead-letters/replay', 'replayed', (s) => actions.replayDeadLetters(s))
  action('/dead-letters/purge', 'purged', (s) => actions.purgeDeadLetters(s))
}

/** `{"seqs":[…]}` or `{"all":true}`; throws with a message for the client otherwise. */
export function parseSelection(text: string): DeadLetterSelection {
  let body: unknown
  try {
    body = JSON.parse(text === '' ? '{}' : text)
  } catch {
    throw new Error('the body must be JSON: {"seqs":[12,13]} or {"all":true}')
  }
  const { seqs, all } = (typeof body === 'object' && body !== null ? body : {}) as { seqs?: unknown; all?: unknown }
  if (all === true && seqs === undefined) return 'all'
  if (all === undefined && Array.isArray(seqs) && seqs.length > 0 && seqs.every((n) => Number.isSafeInteger(n) && (n as number) > 0)) return seqs as number[]
  throw new Error('name the dead letters: {"seqs":[12,13]} (positive integers) or {"all":true}')
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length
    if (bytes > MAX_BODY_BYTES) throw new Error(`the body is larger than ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
