import { NEW_KEY_VARIABLES } from '../config/index.js'
import { GO_ALIASES, GO_TOP_LEVEL, isGoKey, isGoSection, isRecord, ownEntry } from './go-schema.js'

/** Key paths in a parsed config file that the Agent will drop, e.g. `[mqtt] url`, `routes[0].priority`. */
export function keysDroppedByAgent(raw: unknown): string[] {
  if (!isRecord(raw)) return []
  const dropped: string[] = []
  for (const [key, value] of Object.entries(raw)) {
    if (!GO_TOP_LEVEL.has(key)) {
      dropped.push(isRecord(value) ? `[${key}]` : key)
      continue
    }
    if (key === 'routes' && Array.isArray(value)) {
      value.forEach((route: unknown, i) => {
        if (isRecord(route)) for (const k of Object.keys(route)) if (!isGoKey('routes', k)) dropped.push(`routes[${i}].${k}`)
      })
    } else if (isRecord(value) && isGoSection(key)) {
      for (const k of Object.keys(value)) if (!isGoKey(key, k)) dropped.push(`[${key}] ${k}`)
    }
  }
  return dropped
}

/** A hint for a dropped key that has a surviving spelling (an alias) or an environment variable. */
export function agentHint(keyPath: string): string | undefined {
  const [, section = '', key = ''] = /^\[(\w+)\] (\w+)$/.exec(keyPath) ?? []
  const goKey = isGoSection(section) ? ownEntry(GO_ALIASES[section], key) : undefined
  if (goKey !== undefined) return `write it as \`${goKey}\``
  // A whole section the Agent does not know: every key of it has a variable of the same prefix.
  if (keyPath === '[store]') return 'set MF_EXPORT_STORE_* on the gateway'
  const variable = ownEntry<string>(NEW_KEY_VARIABLES, keyPath.replace(/^routes\[\d+\]\./, 'routes[].'))
  return variable === undefined ? undefined : `set ${variable} on the gateway`
}
