import assert from 'node:assert/strict'
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { describe, it } from 'node:test'
import { DEFAULT_CONFIG_PATH, loadConfig, resolveConfigPath } from '../../src/config/index.js'
import { ConfigError } from '../../src/errors.js'

const ROUTE = '[[routes]]\nnats_topic = "export"\nmqtt_topic = "channels/c1/messages"\n'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'export-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

void describe('resolveConfigPath', () => {
  void it('takes --config first', () => {
    assert.equal(resolveConfigPath('/etc/export.toml', { MF_EXPORT_CONFIG_FILE: '/x.toml' }), '/etc/export.toml')
  })

  void it('then MF_EXPORT_CONFIG_FILE', () => {
    assert.equal(resolveConfigPath(undefined, { MF_EXPORT_CONFIG_FILE: '/x.toml' }), '/x.toml')
  })

  void it('then ../configs/config.toml', () => {
    assert.equal(resolveConfigPath(undefined, {}), '../configs/config.toml')
    assert.equal(resolveConfigPath(undefined, { MF_EXPORT_CONFIG_FILE: '' }), DEFAULT_CONFIG_PATH)
  })
})

void describe('loadConfig', () => {
  void it('builds the config from the environment when the file is missing, then writes it as TOML', async (t) => {
    const dir = tempDir(t)
    const file = path.join(dir, 'configs', 'export', 'config.toml')
    const env = { MF_EXPORT_MQTT_CHANNEL: 'ch-1', MF_EXPORT_MQTT_PASSWORD: 'key-1', MF_EXPORT_MQTT_QOS: '1' }
    const loaded = await loadConfig({ path: file, env })
    assert.equal(loaded.origin, 'env')
    assert.equal(loaded.path, file)
    assert.equal(loaded.writeError, undefined)
    assert.equal(loaded.config.mqtt.qos, 1)
    assert.equal(loaded.config.routes[0]?.mqttTopic, 'channels/ch-1/messages')

    const text = readFileSync(file, 'utf8')
    assert.match(text, /^# /)
    assert.match(text, /\n\[\[routes\]\]\nnats_topic = "export"\nmqtt_topic = "channels\/ch-1\/messages"\n/)
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the file holds the password: owner only')
    assert.deepEqual(readdirSync(path.dirname(file)), ['config.toml'], 'no temporary file is left behind')

    const again = await loadConfig({ path: file, env: {} })
    assert.equal(again.origin, 'file')
    assert.deepEqual(again.config, loaded.config)
    assert.deepEqual(again.warnings, [])
  })

  void it('uses an existing file as the whole configuration, without the section-3 variables', async (t) => {
    const file = path.join(tempDir(t), 'config.toml')
    writeFileSync(file, `[mqtt]\nqos = 0\n${ROUTE}`)
    const loaded = await loadConfig({ path: file, env: { MF_EXPORT_MQTT_QOS: '2', MF_EXPORT_MQTT_HOST: 'tcp://elsewhere:1883', MF_NATS_URL: 'nats://x:1' } })
    assert.equal(loaded.origin, 'file')
    assert.equal(loaded.config.mqtt.qos, 0)
    assert.equal(loaded.config.mqtt.url, 'tcp://localhost:1883')
    assert.deepEqual(loaded.config.exp.natsUrls, ['nats://localhost:4222'])
  })

  void it('applies the section-7 variables to new keys an existing file leaves out', async (t) => {
    const file = path.join(tempDir(t), 'config.toml')
    writeFileSync(file, ROUTE)
    const loaded = await loadConfig({ path: file, env: { MF_EXPORT_STORE_PATH: '/data/q', MF_EXPORT_STORE_TYPE: 'memory' } })
    assert.deepEqual([loaded.config.store.path, loaded.config.store.type], ['/data/q', 'memory'])
  })

  void it('reads a JSON config file', async (t) => {
    const file = path.join(tempDir(t), 'config.json')
    writeFileSync(file, JSON.stringify({ mqtt: { qos: 2 }, routes: [{ nats_topic: 'export', mqtt_topic: 'channels/c/messages' }] }))
    assert.equal((await loadConfig({ path: file, env: {} })).config.mqtt.qos, 2)
  })

  void it('leaves a broken file byte for byte untouched and names its line', async (t) => {
    const file = path.join(tempDir(t), 'config.toml')
    const broken = `[exp]\nport = 8170\nnats = "nats://x:4222" oops\n${ROUTE}`
    writeFileSync(file, broken)
    const before = statSync(file)
    await assert.rejects(loadConfig({ path: file, env: {} }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.code, 'EXP_CONFIG_INVALID')
      assert.ok(err.message.startsWith(`${file}: line 3, column `), err.message)
      return true
    })
    assert.equal(readFileSync(file, 'utf8'), broken)
    assert.equal(statSync(file).mtimeMs, before.mtimeMs)
    assert.deepEqual(readdirSync(path.dirname(file)), ['config.toml'])
  })

  void it('leaves an invalid file untouched and names the file and key', async (t) => {
    const file = path.join(tempDir(t), 'config.toml')
    const invalid = `[mqtt]\nqos = "high"\n${ROUTE}`
    writeFileSync(file, invalid)
    await assert.rejects(loadConfig({ path: file, env: {} }), { name: 'ConfigError', message: `${file}: [mqtt] qos: expected 0, 1 or 2, found "high"` })
    assert.equal(readFileSync(file, 'utf8'), invalid)
  })

  void it('reports a config path that cannot be read as EXP_CONFIG_UNREADABLE, naming it', async (t) => {
    const dir = tempDir(t)
    await assert.rejects(loadConfig({ path: dir, env: {} }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.code, 'EXP_CONFIG_UNREADABLE')
      assert.ok(err.message.startsWith(`${dir}: cannot read the config file: `), err.message)
      assert.match(err.message, /EISDIR/)
      return true
    })
    const notADir = path.join(dir, 'file')
    writeFileSync(notADir, 'x')
    await assert.rejects(loadConfig({ path: path.join(notADir, 'config.toml'), env: {} }), { code: 'EXP_CONFIG_UNREADABLE' })
  })

  void it('keeps the environment config when the file cannot be written, and says why', async (t) => {
    const dir = tempDir(t)
    const file = path.join(dir, 'config.toml')
    // A dangling symlink reads as missing, but must not be replaced.
    symlinkSync(path.join(dir, 'nowhere', 'target.toml'), file)
    const loaded = await loadConfig({ path: file, env: { MF_EXPORT_MQTT_CHANNEL: 'ch-1' } })
    assert.equal(loaded.origin, 'env')
    assert.equal(loaded.config.routes[0]?.mqttTopic, 'channels/ch-1/messages')
    assert.match(loaded.writeError ?? '', new RegExp(`^cannot write ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*EEXIST`))
    assert.ok(lstatSync(file).isSymbolicLink())
    assert.equal(readlinkSync(file), path.join(dir, 'nowhere', 'target.toml'))
    assert.deepEqual(readdirSync(dir), ['config.toml'])
  })

  void it('reports a write failure when the directory cannot be created', async (t) => {
    const dir = tempDir(t)
    // The parent "directory" is a dangling symlink: reading gives ENOENT, mkdir gives EEXIST.
    symlinkSync(path.join(dir, 'missing'), path.join(dir, 'link'))
    const loaded = await loadConfig({ path: path.join(dir, 'link', 'config.toml'), env: {} })
    assert.equal(loaded.origin, 'env')
    assert.match(loaded.writeError ?? '', /^cannot write /)
  })

  void it('rejects a bad environment naming the variable and writes nothing', async (t) => {
    const dir = tempDir(t)
    const file = path.join(dir, 'config.toml')
    await assert.rejects(loadConfig({ path: file, env: { MF_EXPORT_MQTT_QOS: 'high' } }), {
      name: 'ConfigError',
      message: 'MF_EXPORT_MQTT_QOS: expected 0, 1 or 2, found "high"',
    })
    assert.deepEqual(readdirSync(dir), [])
  })
})
