import { bridgeConfigToml } from './bridge-config.js'
import type { BridgeConfigOptions } from './bridge-config.js'
import { freePort } from './free-port.js'
import { startMosquitto } from './mosquitto.js'
import type { Mosquitto, MosquittoOptions } from './mosquitto.js'
import { startCollector } from './mqtt-collector.js'
import type { Collector } from './mqtt-collector.js'
import { startNats } from './nats-server.js'
import type { NatsServer, NatsServerOptions } from './nats-server.js'
import { startService } from './service-process.js'
import type { ServiceProcess } from './service-process.js'
import { startTcpProxy } from './tcp-proxy.js'
import type { TcpProxy } from './tcp-proxy.js'
import type { Teardown } from './teardown.js'

/**
 * A log line of the service that {@link startBridgeWorld} can wait for before it returns:
 * - `connected`: `connected to MQTT broker`;
 * - `connect failed`: `MQTT connection failed; retrying` (the cloud is unreachable);
 * - `subscribed`: `route subscribed` for every route of `config.routes`, in order (for the default
 *   route when there are none).
 */
export type BridgeReadyEvent = 'connected' | 'connect failed' | 'subscribed'

/** Options of {@link startBridgeWorld}. */
export interface BridgeWorldOptions {
  /** Options of the nats-server, e.g. `{ jetstream: true }`. */
  nats?: NatsServerOptions
  /** Options of Mosquitto, e.g. `{ extraConfig: 'max_inflight_messages 20\n' }` or `max_packet_size 100000`. */
  mosquitto?: MosquittoOptions
  /**
   * Puts a {@link TcpProxy} between the bridge and Mosquitto, for link faults: `'forward'`, or
   * `'cut'` for a cloud that is unreachable from the start, until `proxy.restore()`. Default: no
   * proxy, the bridge connects to Mosquitto directly.
   */
  proxy?: 'forward' | 'cut'
  /** With a proxy: delay each direction by this long (half the round trip), as a WAN would. */
  proxyDelayMs?: number
  /**
   * The reader: its topic filter and QoS, subscribed on Mosquitto directly (never through the
   * proxy) before the service starts; `false` for none.
   */
  collector: { topic: string; qos: 0 | 1 | 2 } | false
  /** Config file keys besides the URLs and the HTTP port (`qos`, `store`, `routes`, `keepAlive`…). */
  config?: Omit<BridgeConfigOptions, 'natsUrl' | 'mqttUrl' | 'httpPort'>
  /** Environment of the service (see `ServiceOptions.env`), e.g. `MF_EXPORT_STORE_PATH`. */
  env?: Record<string, string>
  /** Log lines to wait for, one after the other; default `['connected', 'subscribed']`. */
  ready?: readonly BridgeReadyEvent[]
  /** Deadline of each wait of `ready`; default 10 s. */
  readyTimeoutMs?: number
}

/** What {@link startBridgeWorld} started; `proxy` and `collector` are typed by the options given. */
export interface BridgeWorld<O extends BridgeWorldOptions> {
  readonly nats: NatsServer
  readonly mosquitto: Mosquitto
  readonly proxy: O extends { proxy: 'forward' | 'cut' } ? TcpProxy : undefined
  readonly collector: O extends { collector: false } ? undefined : Collector
  readonly service: ServiceProcess
  /** The `[exp] port` of the service: /health, /metrics, /reload. */
  readonly httpPort: number
  /** The `[mqtt] url` the service was given (the proxy's port when there is a proxy). */
  readonly mqttUrl: string
}

const READY_LOG: Readonly<Record<Exclude<BridgeReadyEvent, 'subscribed'>, string>> = {
  connected: 'connected to MQTT broker',
  'connect failed': 'MQTT connection failed; retrying',
}

/**
 * Starts the usual world of an integration or fault test, in this order: nats-server, Mosquitto,
 * the proxy, the reader, then the built service with a config from {@link bridgeConfigToml} on a
 * free HTTP port; then waits for the `ready` log lines. Everything is registered on `td`, so it
 * stops in reverse order (the service first).
 *
 * The reader subscribes before the service starts, so that it sees every message from the first.
 */
export async function startBridgeWorld<O extends BridgeWorldOptions>(td: Teardown, opts: O): Promise<BridgeWorld<O>> {
  const nats = td.use(await startNats(opts.nats), 'nats')
  const mosquitto = td.use(await startMosquitto(opts.mosquitto), 'mosquitto')
  let proxy: TcpProxy | undefined
  if (opts.proxy !== undefined) {
    proxy = td.use(await startTcpProxy(mosquitto.port, { delayMs: opts.proxyDelayMs }), 'proxy')
    if (opts.proxy === 'cut') proxy.cut()
  }
  const collector = opts.collector === false ? undefined : td.use(await startCollector({ url: mosquitto.url, ...opts.collector }), 'collector')
  const httpPort = await freePort()
  const mqttUrl = `tcp://127.0.0.1:${proxy?.port ?? mosquitto.port}`
  const service = td.use(
    await startService({
      httpPort,
      env: opts.env,
      configText: bridgeConfigToml({ ...opts.config, natsUrl: nats.url, mqttUrl, httpPort }),
    }),
    'service',
  )
  const timeoutMs = opts.readyTimeoutMs ?? 10_000
  for (const event of opts.ready ?? ['connected', 'subscribed']) {
    if (event !== 'subscribed') {
      await service.waitForLog((e) => e.message === READY_LOG[event], timeoutMs, `"${READY_LOG[event]}"`)
    } else if (opts.config?.routes === undefined) {
      await service.waitForLog((e) => e.message === 'route subscribed', timeoutMs, '"route subscribed"')
    } else {
      // Route ids are their nats_topic; the service subscribes them one after the other.
      for (const { nats_topic: route } of opts.config.routes) {
        await service.waitForLog((e) => e.message === 'route subscribed' && e.route === route, timeoutMs, `"route subscribed" for ${route}`)
      }
    }
  }
  // The conditional types of BridgeWorld cannot be checked against the branches above.
  return { nats, mosquitto, proxy, collector, service, httpPort, mqttUrl } as BridgeWorld<O>
}
