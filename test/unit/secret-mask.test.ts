import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { BridgeError, ConfigError, describeError } from '../../src/errors.js'
import { createLogger } from '../../src/logger.js'
import { MASK, isSecretKey, maskSecrets, maskText, rememberSecrets, secretsInRaw } from '../../src/secret-mask.js'

const KEY = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5jyvAGx0RTNabcdefoAoGCCqGSM49
AwEHoUQDQgAEvPAGc0GdjCxlNCl7IEcmNZSLFuVXc5ZFHE7W08MyPnBNz5rvlR8qNkmQ
-----END EC PRIVATE KEY-----`

/** A pino logger writing into an array of parsed lines. */
function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''))
      done()
    },
  })
  return { log: createLogger('debug', sink), lines }
}

void describe('secret masking (issue 10, item 3)', () => {
  void describe('maskText', () => {
    void it('masks the password of URLs, keeping the user and the host', () => {
      assert.equal(maskText('nats://user:pa55word@bus:4222'), 'nats://user:***@bus:4222')
      assert.equal(maskText('dial tcp://thing:key-1@cloud:1883 failed'), 'dial tcp://thing:***@cloud:1883 failed')
      assert.equal(maskText('nats://u:a@n1:4222,nats://v:b@n2:4222'), 'nats://u:***@n1:4222,nats://v:***@n2:4222')
    })

    void it('masks the whole password of an invalid URL, also with @ or / in it', () => {
      assert.equal(maskText('found "tcp://user:p@ss/w0rd@host:99999"'), 'found "tcp://user:***@host:99999"')
      assert.equal(maskText('tcp://tcp//user:secret@host'), 'tcp://tcp//user:***@host')
    })

    void it('masks a NATS token (a user part without a password), not an MQTT user name', () => {
      assert.equal(maskText('nats://s3cr3t-token@bus:4222'), 'nats://***@bus:4222')
      assert.equal(maskText('tcp://thing-id@cloud:1883'), 'tcp://thing-id@cloud:1883')
    })

    void it('masks PEM private keys, whole or cut off, and keeps certificates', () => {
      assert.equal(maskText(`key: ${KEY} end`), `key: ${MASK} end`)
      assert.ok(!maskText(KEY.slice(0, 90)).includes('MHcCAQEE'))
      const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'
      assert.equal(maskText(cert), cert)
    })

    void it('masks bearer tokens', () => {
      assert.equal(maskText('Authorization: Bearer abc.def-123'), `Authorization: Bearer ${MASK}`)
    })

    void it('masks remembered secrets wherever they appear, but not short ones', () => {
      rememberSecrets(['remembered-secret-42', 'short'])
      assert.equal(maskText('the key remembered-secret-42 leaked'), `the key ${MASK} leaked`)
      assert.equal(maskText('a short text'), 'a short text')
    })
  })

  void describe('maskSecrets', () => {
    void it('masks the values of every secret key at any depth, and secrets inside strings', () => {
      const masked = maskSecrets({
        exp: { http_token: 'tok', nats: 'nats://u:p@h:4222' },
        mqtt: { password: 'pw', clientKey: KEY, client_cert_key: KEY, username: 'thing' },
        list: [{ token: 't' }, 'tcp://a:b@c'],
      })
      assert.deepEqual(masked, {
        exp: { http_token: MASK, nats: 'nats://u:***@h:4222' },
        mqtt: { password: MASK, clientKey: MASK, client_cert_key: MASK, username: 'thing' },
        list: [{ token: MASK }, 'tcp://a:***@c'],
      })
    })

    void it('turns errors into masked plain objects and survives cycles', () => {
      const cyclic: Record<string, unknown> = { err: new Error('connect nats://u:secret@h failed') }
      cyclic['self'] = cyclic
      const masked = maskSecrets(cyclic) as { err: { message: string }; self: unknown }
      assert.equal(masked.err.message, 'connect nats://u:***@h failed')
      assert.equal(masked.self, '[not shown]')
    })

    void it('knows its keys without regard to case, _ or -', () => {
      for (const key of ['password', 'PASSWORD', 'client_cert_key', 'clientKey', 'cache_pass', 'http_token', 'httpToken', 'Authorization']) {
        assert.ok(isSecretKey(key), key)
      }
      assert.ok(!isSecretKey('username'))
    })
  })

  void it('finds the secrets of a raw configuration: secret keys and URL passwords', () => {
    const found = secretsInRaw({ exp: { nats: 'nats://u:natspw@h,nats://tok@h2', http_token: 'tk' }, mqtt: { url: 'tcp://a:mqttpw@c', password: 'pw' } })
    for (const s of ['natspw', 'tok', 'tk', 'mqttpw', 'pw']) assert.ok(found.includes(s), s)
  })

  void it('masks every error text: messages of BridgeError and describeError with causes', () => {
    const err = new ConfigError('config.toml: [mqtt] url: expected a broker URL, found "tcp://user:hunter2-pw@h:99999"')
    assert.ok(!err.message.includes('hunter2-pw'))
    const wrapped = new BridgeError('EXP_STORE_UNAVAILABLE', 'store failed', { cause: new Error('nats://u:cause-secret@h') })
    assert.equal(describeError(wrapped), 'store failed: nats://u:***@h')
    assert.equal(describeError('plain tcp://a:b@c'), 'plain tcp://a:***@c')
  })

  void it('masks every log line at every level: message, fields, nested values, errors and bindings', () => {
    const { log, lines } = capture()
    const child = log.child({ component: 'x', url: 'tcp://u:binding-secret@h' })
    child.debug({ servers: ['nats://u:debug-secret@h:4222'] }, 'connecting')
    child.info({ config: { mqtt: { password: 'info-secret', client_cert_key: KEY } } }, 'config')
    child.warn({ err: new Error('failed tcp://u:warn-secret@h') }, 'warn')
    child.error('invalid URL "tcp://u:error-secret@h:99999"')
    assert.equal(lines.length, 4)
    const text = lines.join('\n')
    for (const secret of ['binding-secret', 'debug-secret', 'info-secret', 'warn-secret', 'error-secret', 'MHcCAQEE']) {
      assert.ok(!text.includes(secret), `${secret} in ${text}`)
    }
    const first = JSON.parse(lines[0]!) as Record<string, unknown>
    assert.deepEqual(first['servers'], ['nats://u:***@h:4222'])
    assert.equal(first['message'], 'connecting')
    assert.equal(first['level'], 'debug')
  })
})
