import type { IClientOptions } from 'mqtt'
import type { MqttConfig } from '../config/types.js'
import { brokerAddress } from './broker-address.js'
import { tlsOptions } from './tls-options.js'

/** The mqtt.js options both of the sink's clients share (the wipe and the session). */
export function clientOptions(cfg: MqttConfig, reconnectPeriodMs: number): IClientOptions {
  const address = brokerAddress(cfg.url, cfg.mtls)
  return {
    protocol: address.protocol,
    host: address.host,
    hostname: address.host,
    port: address.port,
    ...(address.path !== '' ? { path: address.path } : {}),
    ...(address.tls ? tlsOptions(cfg) : {}),
    clientId: cfg.clientId,
    ...(cfg.username !== '' ? { username: cfg.username } : {}),
    ...(cfg.password !== '' ? { password: cfg.password } : {}),
    protocolVersion: cfg.protocolVersion,
    keepalive: Math.max(1, Math.round(cfg.keepAliveMs / 1000)),
    connectTimeout: connectTimeoutMs(cfg.keepAliveMs),
    reconnectPeriod: reconnectPeriodMs,
    // A refused CONNECT (bad password, not authorized) is retried too: the operator may fix
    // the credentials on the broker side, and the gateway must not need a restart for that.
    reconnectOnConnackError: true,
    resubscribe: false,
    // A PINGREQ every keep-alive even while publishing: mqtt.js would otherwise re-arm a timer on
    // every packet sent (a measurable share of CPU in a burst), and a link that dies mid-stream is
    // found as fast as an idle one.
    reschedulePings: false,
    // mqtt.js logs through `debug` on every packet; checking whether that is enabled costs a few
    // per cent of a burst. Its lines are for mqtt.js developers, not operators.
    log: () => undefined,
  }
}

/**
 * How long to wait for CONNACK. A connect into a dead link (SYN accepted by a middlebox, then
 * silence) would otherwise hang for mqtt.js's default 30 s after the link is back; tie it to the
 * keep-alive the operator chose for detecting dead links.
 */
function connectTimeoutMs(keepAliveMs: number): number {
  return Math.min(30_000, Math.max(5000, 2 * keepAliveMs))
}

/**
 * Adds what the operator should check to errors whose raw text does not say it. OpenSSL reports a
 * broker that refused our certificate as a TLS alert from the peer.
 */
export function explainConnectError(text: string): string {
  if (/alert (unknown ca|bad certificate|certificate required|certificate unknown|decrypt error)/i.test(text)) {
    return `the broker refused the client certificate (check client_cert_path/client_cert and the CA that signed it): ${text}`
  }
  if (/self[- ]signed|unable to (get|verify)|certificate has expired|altnames|UNABLE_TO_VERIFY/i.test(text)) {
    return `the broker's certificate is not trusted (check ca_path, or skip_tls_ver): ${text}`
  }
  return text
}

/**
 * Throws (TlsConfigError, or for a bad URL an Error) if `config` cannot make a connection: the
 * certificate files are read once. A reload checks this before it changes anything.
 */
export function checkMqttConfig(config: MqttConfig): void {
  const address = brokerAddress(config.url, config.mtls)
  if (address.tls) tlsOptions(config)
}

