import mqtt from 'mqtt'
import type { MqttClient } from 'mqtt'
import { DEMO_MQTT_TOPIC } from './demo-config.js'

/** Counts what reaches the demo's broker, as the cloud would see it. */
export interface CloudCounter {
  /** Messages received on the demo's topics so far. */
  readonly received: number
  close(): Promise<void>
}

/** Subscribes to the demo's topics on the broker directly (not through the link cutter). */
export async function startCloudCounter(brokerPort: number): Promise<CloudCounter> {
  const client: MqttClient = await mqtt.connectAsync({ host: '127.0.0.1', port: brokerPort, clientId: `demo-cloud-${process.pid}`, reconnectPeriod: 1000 })
  // mqtt.js reports each failed reconnect as an 'error' event, which would end the demo without a
  // listener; it goes on reconnecting by itself, and the counts show a lasting failure.
  client.on('error', () => undefined)
  let received = 0
  client.on('message', () => {
    received++
  })
  await client.subscribeAsync(`${DEMO_MQTT_TOPIC}/#`, { qos: 0 })
  return {
    get received() {
      return received
    },
    async close() {
      await client.endAsync(true)
    },
  }
}
