import { coerceInteger, coerceString, describeValue } from './coerce.js'
import { parseRouteSource, parseRouteType } from './choices.js'
import { CONFIG_DEFAULTS as D, CONFIG_LIMITS } from './defaults.js'
import type { Issues, ValueParser } from './issues.js'
import { isTable } from './issues.js'
import type { NewKeyEnv } from './new-key-env.js'
import { TableReader } from './table-reader.js'
import { checkJetStreamName, checkMqttTopic, checkNatsSubject, checkSubtopic, defaultDurable, isMainfluxTopic } from './names.js'
import type { RouteConfig } from './types.js'

const ROUTE_KEYS = new Set(['nats_topic', 'mqtt_topic', 'subtopic', 'type', 'workers', 'source', 'stream', 'durable', 'priority'])

const natsSubject: ValueParser<string> = (v, what) => checkNatsSubject(coerceString(v, what), what)
const mqttTopic: ValueParser<string> = (v, what) => checkMqttTopic(coerceString(v, what), what)
const subtopic: ValueParser<string> = (v, what) => checkSubtopic(coerceString(v, what), what)
const jetStreamName: ValueParser<string> = (v, what) => checkJetStreamName(coerceString(v, what).trim(), what)
const workers: ValueParser<number> = (v, what) => {
  const n = coerceInteger(v, what, { min: 1 })
  // More could never be in flight: the broker would see packet ids reused while still unacknowledged.
  if (n > CONFIG_LIMITS.workersMax) {
    throw new Error(`${what} must be at most ${CONFIG_LIMITS.workersMax} (MQTT packet ids allow no more messages in flight), found ${n}`)
  }
  return n
}
/** A route's `priority`, 0–9; shared with the `MF_EXPORT_ROUTE_PRIORITY` variable. */
export const parsePriority: ValueParser<number> = (v, what) => coerceInteger(v, what, { min: 0, max: CONFIG_LIMITS.priorityMax })

/**
 * `[[routes]]`: each route is named in messages by its 0-based index and its `nats_topic`, as in
 * `routes[2] (nats_topic "export"): mqtt_topic must not contain '#'`.
 */
export function readRoutes(issues: Issues, raw: Record<string, unknown>, env: NewKeyEnv): RouteConfig[] {
  const list = raw['routes']
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) {
    issues.error('no [[routes]]: at least one route is required')
    return []
  }
  if (!Array.isArray(list)) {
    issues.error(`routes: expected an array of tables ([[routes]]), found ${describeValue(list)}`)
    return []
  }
  const routes: RouteConfig[] = []
  const firstIndexOf = new Map<string, number>()
  const unique: Array<{ route: RouteConfig; label: string; index: number }> = []
  list.forEach((item: unknown, index) => {
    const label = routeLabel(item, index)
    if (!isTable(item)) {
      issues.error(`${label}: expected a table, found ${describeValue(item)}`)
      return
    }
    const route = readRoute(issues, new TableReader(issues, item, (key) => `${label}: ${key}`), env)
    if (route === undefined) return
    routes.push(route)
    const earlier = firstIndexOf.get(route.natsTopic)
    if (earlier !== undefined) {
      issues.error(`${label}: duplicate nats_topic, already used by routes[${earlier}]`)
      return
    }
    firstIndexOf.set(route.natsTopic, index)
    unique.push({ route, label, index })
  })
  checkDurables(issues, unique)
  return routes
}

function routeLabel(item: unknown, index: number): string {
  const topic = isTable(item) ? item['nats_topic'] : undefined
  return typeof topic === 'string' && topic !== '' ? `routes[${index}] (nats_topic ${JSON.stringify(topic)})` : `routes[${index}]`
}

function readRoute(issues: Issues, route: TableReader, env: NewKeyEnv): RouteConfig | undefined {
  route.warnUnknown(ROUTE_KEYS)
  const natsTopic = route.readOptional('nats_topic', natsSubject)
  const mqtt = route.readOptional('mqtt_topic', mqttTopic)
  // A blank string is "not set", so `nats_topic = ""` lands here too.
  if (route.given('nats_topic') === undefined) issues.error(`${route.name('nats_topic')} is required`)
  if (route.given('mqtt_topic') === undefined) issues.error(`${route.name('mqtt_topic')} is required`)
  if (mqtt !== undefined && !isMainfluxTopic(mqtt)) {
    issues.warn(
      `${route.name('mqtt_topic')} ${JSON.stringify(mqtt)} does not look like channels/<id>/messages; fine if the broker is not Mainflux`,
    )
  }
  const config: RouteConfig = {
    natsTopic: natsTopic ?? '',
    mqttTopic: mqtt ?? '',
    subtopic: route.read('subtopic', subtopic, ''),
    type: route.read('type', parseRouteType, D.routeType),
    workers: route.read('workers', workers, D.workers),
    source: route.read('source', parseRouteSource, D.routeSource, () => env.get('routes[].source', parseRouteSource)),
    stream: route.read('stream', jetStreamName, D.stream),
    durable: route.read('durable', jetStreamName, defaultDurable(natsTopic ?? '')),
    priority: route.read('priority', parsePriority, D.priority, () => env.get('routes[].priority', parsePriority)),
  }
  return natsTopic === undefined ? undefined : config
}

// Two JetStream routes on one durable consumer would split each other's messages; derived names can
// collide too (`a.b` and `a_b` both give `export-a_b`).
function checkDurables(issues: Issues, entries: ReadonlyArray<{ route: RouteConfig; label: string; index: number }>): void {
  const seen = new Map<string, number>()
  for (const { route, label, index } of entries) {
    if (route.source !== 'jetstream') continue
    const key = `${route.stream}\u0000${route.durable}`
    const earlier = seen.get(key)
    if (earlier === undefined) seen.set(key, index)
    else {
      const durable = JSON.stringify(route.durable)
      issues.error(`${label}: durable ${durable} on stream ${JSON.stringify(route.stream)} is already used by routes[${earlier}]`)
    }
  }
}
