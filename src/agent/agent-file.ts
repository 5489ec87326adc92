import { stringify } from 'smol-toml'
import { UsageError } from '../errors.js'
import { isRecord, toGoTable } from './go-schema.js'

/**
 * The Mainflux Agent does not save the text it is sent: it unmarshals it into the Go service's
 * config structure (go-toml) and writes that back (./go-schema.ts). So the file sent through the
 * Agent is rewritten first: aliases under the Go names, values in the Go types.
 */

/**
 * The path the Agent is told to save the file at, checked: the Agent removes every space of its
 * command and splits it on commas, so a path with either (or an empty one) would arrive mangled, or
 * as a different path, on the gateway. `source` names where the path came from, for the message.
 *
 * @throws UsageError naming the source and the character at fault.
 */
export function checkAgentPath(path: string, source: string): string {
  const where = `the target path ${JSON.stringify(path)} (from ${source})`
  if (path.trim() === '') throw new UsageError(`${where} is empty: the Agent needs the path to save the file at`)
  if (/\s/.test(path)) throw new UsageError(`${where} contains spaces: the Agent removes every space of its command; use a path without spaces or commas`)
  if (path.includes(',')) throw new UsageError(`${where} contains a comma: the Agent splits its command on commas; use a path without spaces or commas`)
  return path
}

/** The file as the Agent can take it, and notes on what was rewritten. */
export function agentReadyToml(raw: unknown): { text: string; notes: string[] } {
  const notes: string[] = []
  const doc: Record<string, unknown> = {}
  if (isRecord(raw)) {
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'File' || key === 'file') continue // the Agent sets it to the path of the command
      if (key === 'routes' && Array.isArray(value)) {
        doc.routes = value.map((route: unknown, i) => (isRecord(route) ? toGoTable('routes', route, `routes[${i}]`, notes) : route))
      } else if (isRecord(value) && (key === 'exp' || key === 'mqtt')) {
        doc[key] = toGoTable(key, value, `[${key}]`, notes)
      } else {
        doc[key] = value
      }
    }
  }
  return { text: `${stringify(doc).trimEnd()}\n`, notes }
}
