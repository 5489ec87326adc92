import { readFileSync } from 'node:fs'
import type { MqttConfig } from '../config/types.js'
import { TlsConfigError } from '../errors.js'

export interface TlsOptions {
  ca?: Buffer | string
  cert?: Buffer | string
  key?: Buffer | string
  rejectUnauthorized: boolean
}

function readPem(path: string, key: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err: unknown) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable'
    // The path is not a secret; the file's content would be, and is never part of the message.
    throw new TlsConfigError(`[mqtt] ${key}: cannot read "${path}" (${reason})`, { cause: err })
  }
}

/**
 * TLS material for the broker connection. Certificate files win over inline PEM text (docs/configuration.md, "`[mqtt]`");
 * the client certificate is presented only with `mtls = true`. Read once per connect setup, so a
 * reload picks up renewed certificates.
 */
export function tlsOptions(cfg: MqttConfig): TlsOptions {
  const options: TlsOptions = { rejectUnauthorized: !cfg.skipTlsVerify }
  if (cfg.caPath !== '') options.ca = readPem(cfg.caPath, 'ca_path')
  if (cfg.mtls) {
    const cert = cfg.clientCertPath !== '' ? readPem(cfg.clientCertPath, 'client_cert_path') : cfg.clientCert
    const key = cfg.clientKeyPath !== '' ? readPem(cfg.clientKeyPath, 'client_priv_key_path') : cfg.clientKey
    if (cert.length === 0 || key.length === 0) {
      throw new TlsConfigError('[mqtt] mtls is true but no client certificate and key are given (client_cert_path/client_priv_key_path or client_cert/client_cert_key)')
    }
    if (!cert.toString().includes('-----BEGIN')) throw new TlsConfigError('[mqtt] client certificate is not PEM text')
    if (!key.toString().includes('-----BEGIN')) throw new TlsConfigError('[mqtt] client key is not PEM text')
    options.cert = cert
    options.key = key
  }
  return options
}
