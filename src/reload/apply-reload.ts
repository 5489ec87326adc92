import type { Config, LogLevel, MqttConfig, RouteConfig, StoreConfig } from '../config/types.js'
import type { Lifecycle } from '../lifecycle.js'
import { checkMqttConfig } from '../sink/client-options.js'
import { describeAction, planReload } from './reload-plan.js'
import type { ReloadAction } from './reload-plan.js'

type MqttReconnect = Extract<ReloadAction, { kind: 'mqtt-reconnect' }>

/** How long a retired route's subscription may take to drain. */
const RETIRE_DEADLINE_MS = 5000

/** The running service, as a reload changes it (src/service.ts). */
export interface ReloadTarget {
  readonly config: Config
  /** Puts the plan's configuration in force (what /health and the next reload compare against). */
  setConfig(config: Config): void
  warn(message: string): void
  setLogLevel(level: LogLevel): void
  /** Restarts the heartbeat with the new interval; false if none runs yet (it starts with NATS). */
  restartHeartbeat(intervalMs: number): Promise<boolean>
  /** Builds the route's pipeline (not yet subscribed) in place of the running one, if any. */
  addRoute(route: RouteConfig): Lifecycle
  /** Takes the route's pipeline out of service (not yet drained). */
  retireRoute(id: string): Lifecycle | undefined
  /** Tells the delivery side the configured routes and priorities. */
  setDeliveryRoutes(routes: readonly RouteConfig[]): void
  reconnectMqtt(mqtt: MqttConfig): Promise<void>
}

/**
 * Applies reloads to the running service: plans (reload-plan.ts), checks, then carries out the
 * plan. Everything that can fail is checked before anything changes: an invalid reload changes
 * nothing. Returns the changes, for the reload's result and the log.
 */
export class ReloadApplier {
  readonly #target: ReloadTarget
  #storeWarnedFor: StoreConfig | undefined

  constructor(target: ReloadTarget) {
    this.#target = target
  }

  async apply(next: Config): Promise<string[]> {
    const target = this.#target
    const plan = planReload(target.config, next, this.#storeWarnedFor)
    const mqtt = plan.actions.find((a): a is MqttReconnect => a.kind === 'mqtt-reconnect')
    if (mqtt !== undefined) checkMqttConfig(mqtt.mqtt)
    this.#storeWarnedFor = plan.storeWarnedFor
    for (const action of plan.actions) if (action.kind === 'warn-restart-needed') target.warn(action.message)
    target.setConfig(plan.config)

    const changes: string[] = []
    for (const action of plan.actions) {
      if (action.kind === 'log-level') target.setLogLevel(action.level)
      if (action.kind === 'heartbeat' && !(await target.restartHeartbeat(action.intervalMs))) continue
      if (action.kind === 'http-token' || action.kind === 'log-level' || action.kind === 'heartbeat') changes.push(describeAction(action)!)
    }
    await this.#applyRoutes(plan.actions, plan.config.routes, changes)
    if (mqtt !== undefined) {
      changes.push(describeAction(mqtt)!)
      await target.reconnectMqtt(mqtt.mqtt)
    }
    return changes
  }

  /** New subscriptions first, then the old ones drain: a changed route never misses a message. */
  async #applyRoutes(actions: readonly ReloadAction[], routes: readonly RouteConfig[], changes: string[]): Promise<void> {
    const target = this.#target
    const retired: Lifecycle[] = []
    const added: Lifecycle[] = []
    for (const action of actions) {
      if (action.kind !== 'route-remove' && action.kind !== 'route-replace' && action.kind !== 'route-add') continue
      changes.push(describeAction(action)!)
      const id = action.kind === 'route-remove' ? action.id : action.route.natsTopic
      const old = action.kind === 'route-add' ? undefined : target.retireRoute(id)
      if (old !== undefined) retired.push(old)
      if (action.kind !== 'route-remove') added.push(target.addRoute(action.route))
    }
    target.setDeliveryRoutes(routes)
    for (const pipeline of added) await pipeline.start()
    for (const pipeline of retired) await pipeline.stop(RETIRE_DEADLINE_MS)
  }
}
