import { ALARM_PREFIX, TELEMETRY_PREFIX } from './fleet.js'

/** Where the demo's service connects, listens and stores. */
export interface DemoConfigInput {
  natsUrl: string
  /** The link cutter's port: the service's way to the broker. */
  mqttPort: number
  httpPort: number
  storeDir: string
}

/** The cloud topic prefix of both routes; the broker sees `channels/demo/messages/<subject as a path>`. */
export const DEMO_MQTT_TOPIC = 'channels/demo/messages'

/**
 * The service's config file for the demo, TOML as an operator would write it: a file store, QoS 1,
 * and two routes, alarms at priority 5 so that they drain before the telemetry backlog after a cut.
 */
export function demoConfigToml(c: DemoConfigInput): string {
  return `# Written by the mainflux-export demo; removed when the demo stops.
[exp]
nats = "${c.natsUrl}"
port = ${c.httpPort}
log_level = "warn"

[mqtt]
url = "tcp://127.0.0.1:${c.mqttPort}"
client_id = "export-demo"
qos = 1
keep_alive = "5s"

[store]
type = "file"
path = ${JSON.stringify(c.storeDir)}
max_bytes = "64MiB"

[[routes]]
nats_topic = "${TELEMETRY_PREFIX}"
mqtt_topic = "${DEMO_MQTT_TOPIC}"
workers = 10

[[routes]]
nats_topic = "${ALARM_PREFIX}"
mqtt_topic = "${DEMO_MQTT_TOPIC}"
priority = 5
`
}
