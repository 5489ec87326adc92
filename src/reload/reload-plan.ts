import { isDeepStrictEqual } from 'node:util'
import type { Config, LogLevel, MqttConfig, RouteConfig, StoreConfig } from '../config/types.js'

/** Keys that only a restart applies; a reload warns and keeps the running value. */
export type RestartKey = 'store' | 'nats' | 'port' | 'http_host'

/** One step of a reload, in the order the plan lists them (docs/configuration.md says what reload does with each key). */
export type ReloadAction =
  | { kind: 'warn-restart-needed'; key: RestartKey; message: string }
  | { kind: 'http-token' }
  | { kind: 'log-level'; level: LogLevel }
  | { kind: 'heartbeat'; intervalMs: number }
  | { kind: 'route-remove'; id: string }
  | { kind: 'route-replace'; route: RouteConfig }
  | { kind: 'route-add'; route: RouteConfig }
  | { kind: 'mqtt-reconnect'; mqtt: MqttConfig }

export interface ReloadPlan {
  actions: ReloadAction[]
  /**
   * The configuration in force once the plan is applied: the new one, except the keys a restart
   * applies, which keep their running values so that /health and the next reload compare against
   * what runs.
   */
  config: Config
  /** The `[store]` the restart warning was last said for (said once per value). */
  storeWarnedFor: StoreConfig | undefined
}

const STORE_WARNING =
  '[store] in the file differs from the running store; it takes effect at the next restart (if the Agent rewrote the file, set MF_EXPORT_STORE_* instead)'

/**
 * What a reload from `running` to `next` does, without doing it: a pure function of the two
 * configurations and of the `[store]` already warned about (`storeWarnedFor`: after each Agent
 * rewrite the file's `[store]` is back to defaults, and one warning per value is enough).
 *
 * Routes are compared whole: a route whose settings changed is replaced (subscribed anew before
 * the old subscription drains, so no message is missed); the route id is its `nats_topic`.
 */
export function planReload(running: Config, next: Config, storeWarnedFor?: StoreConfig): ReloadPlan {
  const actions: ReloadAction[] = []
  let warnedFor = storeWarnedFor
  if (!isDeepStrictEqual(running.store, next.store) && !isDeepStrictEqual(storeWarnedFor, next.store)) {
    warnedFor = next.store
    actions.push({ kind: 'warn-restart-needed', key: 'store', message: STORE_WARNING })
  }
  if (!isDeepStrictEqual(running.exp.natsUrls, next.exp.natsUrls)) actions.push(restart('nats', '[exp] nats changes take effect at the next restart'))
  if (running.exp.port !== next.exp.port) actions.push(restart('port', '[exp] port changes take effect at the next restart'))
  if (running.exp.httpHost !== next.exp.httpHost) actions.push(restart('http_host', '[exp] http_host changes take effect at the next restart'))
  // The HTTP server reads the token at each request: the new one is in force once the config is.
  if (running.exp.httpToken !== next.exp.httpToken) actions.push({ kind: 'http-token' })
  if (running.exp.logLevel !== next.exp.logLevel) actions.push({ kind: 'log-level', level: next.exp.logLevel })
  if (running.exp.heartbeatIntervalMs !== next.exp.heartbeatIntervalMs) actions.push({ kind: 'heartbeat', intervalMs: next.exp.heartbeatIntervalMs })
  actions.push(...planRoutes(running.routes, next.routes))
  if (!isDeepStrictEqual(running.mqtt, next.mqtt)) actions.push({ kind: 'mqtt-reconnect', mqtt: next.mqtt })
  const config: Config = {
    ...next,
    store: running.store,
    exp: { ...next.exp, natsUrls: running.exp.natsUrls, port: running.exp.port, httpHost: running.exp.httpHost },
  }
  return { actions, config, storeWarnedFor: warnedFor }
}

function restart(key: RestartKey, message: string): ReloadAction {
  return { kind: 'warn-restart-needed', key, message }
}

/** Removed and changed routes first (in their running order), then the added ones (in the file's order). */
function planRoutes(running: readonly RouteConfig[], next: readonly RouteConfig[]): ReloadAction[] {
  const wanted = new Map(next.map((rc) => [rc.natsTopic, rc]))
  const ids = new Set(running.map((rc) => rc.natsTopic))
  const actions: ReloadAction[] = []
  for (const rc of running) {
    const want = wanted.get(rc.natsTopic)
    if (want === undefined) actions.push({ kind: 'route-remove', id: rc.natsTopic })
    else if (!isDeepStrictEqual(want, rc)) actions.push({ kind: 'route-replace', route: want })
  }
  for (const rc of next) if (!ids.has(rc.natsTopic)) actions.push({ kind: 'route-add', route: rc })
  return actions
}

/** The line the reload result and the log give for an action; undefined for a warning (logged instead). */
export function describeAction(action: ReloadAction): string | undefined {
  switch (action.kind) {
    case 'warn-restart-needed':
      return undefined
    case 'http-token':
      return 'http_token'
    case 'log-level':
      return `log_level ${action.level}`
    case 'heartbeat':
      return 'heartbeat_interval'
    case 'route-remove':
      return `route ${action.id} removed`
    case 'route-replace':
      return `route ${action.route.natsTopic} changed`
    case 'route-add':
      return `route ${action.route.natsTopic} added`
    case 'mqtt-reconnect':
      return '[mqtt] reconnect'
  }
}
