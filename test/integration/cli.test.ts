import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parse as parseToml } from 'smol-toml'
import { configFromRaw, parseConfigText } from '../../src/config/index.js'
import type { Config } from '../../src/config/index.js'
import { describeRun, runCli } from '../helpers/cli-run.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'
import { FIXTURES_DIR } from '../helpers/fixtures.js'

/** The configuration a file gives, through the project's own parser (no environment). */
function configOf(text: string, fileName: string): Config {
  return configFromRaw(parseConfigText(text, fileName), { fileName, env: {} }).config
}

/** Values of the secret keys in a parsed config file (non-empty ones). */
function secretsIn(raw: unknown): string[] {
  const found: string[] = []
  const walk = (value: unknown, key: string | undefined): void => {
    if (typeof value === 'string') {
      if (key !== undefined && ['password', 'client_cert_key', 'cache_pass'].includes(key) && value !== '') found.push(value)
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, undefined))
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, k)
  }
  walk(raw, undefined)
  return found
}

/**
 * Decodes the `vs` of a `save` command the way the Mainflux Agent does (agent `ServiceConfig`):
 * every space is removed, then the text is split at commas into command, service, file name and
 * base64 content, which Go's `base64.StdEncoding` decodes (standard alphabet, padding required).
 */
function decodeAsAgent(vs: string): { command: string; service: string; file: string; content: string } {
  const parts = vs.replaceAll(' ', '').split(',')
  assert.equal(parts.length, 4, `the Agent would see ${parts.length} arguments in "${vs.slice(0, 80)}…"`)
  const [command, service, file, encoded] = parts as [string, string, string, string]
  assert.match(encoded, /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'not standard, padded base64')
  return { command, service, file, content: Buffer.from(encoded, 'base64').toString('utf8') }
}

/** A config that uses keys the Agent drops when it rewrites the file (docs/configuration.md, "Keys the Mainflux Agent keeps"). */
const NEW_KEYS_CONFIG = `[exp]
nats = "nats://127.0.0.1:4222"
port = 8170
heartbeat_interval = "5s"

[mqtt]
url = "ssl://cloud.example.com:8883"
username = "thing-1"
password = "s3cret-key"
client_id = "gw-1"
keep_alive = "20s"
qos = 1

[store]
path = "/var/lib/mainflux-export"
max_bytes = "2GiB"

[[routes]]
nats_topic = "alarms"
mqtt_topic = "channels/c1/messages"
priority = 5
source = "jetstream"
`

describe('command line', () => {
  let dir: string
  let fixtures: string[]

  before(async () => {
    dir = await makeTempDir('cli')
    fixtures = (await readdir(FIXTURES_DIR)).filter((f) => /\.(toml|json)$/.test(f)).map((f) => join(FIXTURES_DIR, f))
    assert.ok(fixtures.length >= 3, `expected the three fixtures in ${FIXTURES_DIR}, found ${fixtures.length}`)
  })
  after(() => removeDir(dir))

  describe('--help and --version', () => {
    it('lists the commands with --help and -h, exit 0', async () => {
      for (const flag of ['--help', '-h']) {
        const run = await runCli([flag])
        assert.equal(run.code, 0, describeRun(run))
        for (const text of ['--config FILE', '--version', '--help', 'config check [FILE]', 'config encode [FILE]', 'config agent-command --file FILE [--path PATH]', 'MF_EXPORT_CONFIG_FILE']) {
          assert.ok(run.stdout.includes(text), `--help does not mention "${text}":\n${run.stdout}`)
        }
      }
    })

    it('prints the package version and the commit with --version', async () => {
      const pkg = JSON.parse(await readFile(resolve(process.cwd(), 'package.json'), 'utf8')) as { version: string }
      const run = await runCli(['--version'])
      assert.equal(run.code, 0, describeRun(run))
      assert.match(run.stdout, new RegExp(`^mainflux-export ${pkg.version.replaceAll('.', '\\.')} \\(\\S+\\)\\n$`))
    })

    it('exits 2 with the usage on an unknown command', async () => {
      const run = await runCli(['bogus'])
      assert.equal(run.code, 2, describeRun(run))
      assert.match(run.stderr, /unknown command "bogus"/)
      assert.match(run.stderr, /Usage:/)
      assert.equal(run.stdout, '')
    })
  })

  describe('config check', () => {
    it('accepts each fixture, prints the effective configuration, and masks the secrets', async () => {
      for (const file of fixtures) {
        const run = await runCli(['config', 'check', file])
        assert.equal(run.code, 0, `${file}\n${describeRun(run)}`)
        const [header, ...body] = run.stdout.split('\n')
        assert.equal(header, `# ${file}: valid. Effective configuration (secrets masked):`)
        const shown = parseToml(body.join('\n')) as { mqtt: { url: string; password: string }; routes: unknown[] }
        const raw = parseConfigText(await readFile(file, 'utf8'), file) as { mqtt: Record<string, unknown>; routes: unknown[] }
        assert.equal(shown.mqtt.url, raw.mqtt.host ?? raw.mqtt.url, `${file}: the broker URL`)
        assert.equal(shown.routes.length, raw.routes.length, `${file}: the routes`)
        const secrets = secretsIn(raw)
        assert.ok(secrets.length > 0, `${file} has no secret to mask`)
        for (const secret of secrets) {
          assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `${file}: a secret is shown: ${secret}`)
        }
        assert.equal(shown.mqtt.password, '***')
      }
    })

    it('accepts a file with the keys that are new here', async () => {
      const file = join(dir, 'new-keys.toml')
      await writeFile(file, NEW_KEYS_CONFIG)
      const run = await runCli(['config', 'check', file])
      assert.equal(run.code, 0, describeRun(run))
      const shown = parseToml(run.stdout.split('\n').slice(1).join('\n')) as { store: { max_bytes: string }; routes: Array<{ priority: number }> }
      assert.equal(shown.store.max_bytes, '2GiB')
      assert.equal(shown.routes[0]!.priority, 5)
      assert.ok(!run.stdout.includes('s3cret-key'))
    })

    it('rejects a file with a syntax error: exit 1, naming the file and the line', async () => {
      const file = join(dir, 'broken.toml')
      await writeFile(file, '[exp]\nnats = "nats://localhost:4222"\nport = = 8170\n')
      const run = await runCli(['config', 'check', file])
      assert.equal(run.code, 1, describeRun(run))
      assert.ok(run.stderr.includes(`${file}: line 3`), `the message does not name the file and line 3:\n${run.stderr}`)
      assert.equal(run.stdout, '')
    })

    it('rejects an invalid value: exit 1, naming the file and the key', async () => {
      const file = join(dir, 'bad-qos.toml')
      await writeFile(file, '[mqtt]\nqos = "high"\n\n[[routes]]\nnats_topic = "export"\nmqtt_topic = "channels/c1/messages"\n')
      const run = await runCli(['config', 'check', file])
      assert.equal(run.code, 1, describeRun(run))
      assert.ok(run.stderr.includes(file) && run.stderr.includes('[mqtt] qos'), run.stderr)
    })

    it('rejects a file that does not exist: exit 1, naming it', async () => {
      const file = join(dir, 'missing.toml')
      const run = await runCli(['config', 'check', file])
      assert.equal(run.code, 1, describeRun(run))
      assert.ok(run.stderr.includes(file), run.stderr)
    })
  })

  describe('config encode', () => {
    it("prints the base64 of the file's bytes", async () => {
      const file = join(dir, 'encode.toml')
      const bytes = Buffer.from('# température, °C\n[exp]\nport = 8170\n', 'utf8')
      await writeFile(file, bytes)
      const run = await runCli(['config', 'encode', file])
      assert.equal(run.code, 0, describeRun(run))
      assert.equal(run.stdout, `${bytes.toString('base64')}\n`)
      assert.deepEqual(Buffer.from(run.stdout.trim(), 'base64'), bytes)
    })
  })

  describe('config agent-command', () => {
    it('prints the SenML save command that the Agent decodes back to the same configuration', async () => {
      for (const file of [...fixtures, join(dir, 'new-keys.toml')]) {
        if (file.endsWith('new-keys.toml')) await writeFile(file, NEW_KEYS_CONFIG)
        const original = await readFile(file, 'utf8')
        const target = '/etc/mainflux/export/config.toml'
        const run = await runCli(['config', 'agent-command', '--file', file, '--path', target])
        assert.equal(run.code, 0, `${file}\n${describeRun(run)}`)
        const senml = JSON.parse(run.stdout) as Array<Record<string, unknown>>
        assert.equal(senml.length, 1)
        const [record] = senml
        assert.deepEqual(Object.keys(record!).sort(), ['bn', 'n', 'vs'])
        assert.equal(record!.bn, '1:')
        assert.equal(record!.n, 'config')
        const vs = String(record!.vs)
        // The documented shape: four parts separated by ", ".
        const parts = vs.split(', ')
        assert.equal(parts.length, 4, vs.slice(0, 100))
        assert.deepEqual(parts.slice(0, 3), ['save', 'export', target])
        // What the Agent makes of it: the same configuration, in the key names and Go types its
        // go-toml unmarshal accepts (it refuses `port = 8170`: the Go field is a string).
        const decoded = decodeAsAgent(vs)
        assert.deepEqual([decoded.command, decoded.service, decoded.file], ['save', 'export', target])
        assert.deepEqual(configOf(decoded.content, file), configOf(original, file), `${file}: the decoded file configures differently`)
        const sent = parseToml(decoded.content) as { exp?: Record<string, unknown>; mqtt?: Record<string, unknown> }
        if (sent.exp?.port !== undefined) assert.equal(typeof sent.exp.port, 'string', `${file}: port is not a string`)
        for (const key of ['mtls', 'retain', 'skip_tls_ver']) if (sent.mqtt?.[key] !== undefined) assert.equal(typeof sent.mqtt[key], 'boolean', `${file}: ${key}`)
        assert.equal(sent.mqtt?.url, undefined, `${file}: url is not a key the Agent knows`)
      }
    })

    it('says nothing about dropped keys for a file the Agent saved', async () => {
      const run = await runCli(['config', 'agent-command', '--file', join(FIXTURES_DIR, 'agent-saved-config.toml'), '--path', 'export.toml'])
      assert.equal(run.code, 0, describeRun(run))
      assert.doesNotMatch(run.stderr, /dropped/)
    })

    it('warns on stderr, naming them, about the keys the Agent will drop, and how to keep them', async () => {
      const file = join(dir, 'new-keys.toml')
      await writeFile(file, NEW_KEYS_CONFIG)
      const run = await runCli(['config', 'agent-command', '--file', file, '--path', 'export.toml'])
      assert.equal(run.code, 0, describeRun(run))
      const warnings = run.stderr.split('\n').filter((l) => l.includes('will be dropped by the Agent'))
      const about = (key: string): string | undefined => warnings.find((l) => l.includes(`${file}: ${key} will be dropped`))
      assert.match(about('[store]') ?? '', /MF_EXPORT_STORE_/, run.stderr)
      assert.match(about('routes[0].priority') ?? '', /MF_EXPORT_ROUTE_PRIORITY/, run.stderr)
      assert.match(about('routes[0].source') ?? '', /MF_EXPORT_ROUTE_SOURCE/, run.stderr)
      assert.match(run.stderr, /\[mqtt\] url written as host/, 'the url alias is not rewritten for the Agent')
      assert.match(about('[mqtt] client_id') ?? '', /MF_EXPORT_MQTT_CLIENT_ID/, run.stderr)
      assert.match(about('[mqtt] keep_alive') ?? '', /MF_EXPORT_MQTT_KEEP_ALIVE/, run.stderr)
      assert.match(about('[exp] heartbeat_interval') ?? '', /MF_EXPORT_HEARTBEAT_INTERVAL/, run.stderr)
      assert.equal(warnings.length, 6, `unexpected warnings:\n${warnings.join('\n')}`)
      // The warnings go to stderr only: stdout stays a clean payload for mosquitto_pub.
      assert.doesNotThrow(() => JSON.parse(run.stdout) as unknown)
    })

    it('uses $MF_EXPORT_CONFIG_FILE as the path when --path is not given', async () => {
      const run = await runCli(['config', 'agent-command', '--file', join(FIXTURES_DIR, 'agent-saved-config.toml')], {
        MF_EXPORT_CONFIG_FILE: '/opt/export/config.toml',
      })
      assert.equal(run.code, 0, describeRun(run))
      const [record] = JSON.parse(run.stdout) as Array<{ vs: string }>
      assert.equal(decodeAsAgent(record!.vs).file, '/opt/export/config.toml')
    })

    it('refuses a file that does not validate: exit 1, nothing on stdout', async () => {
      const file = join(dir, 'wildcard.toml')
      await writeFile(file, '[[routes]]\nnats_topic = "export"\nmqtt_topic = "channels/c1/messages/#"\n')
      const run = await runCli(['config', 'agent-command', '--file', file, '--path', 'export.toml'])
      assert.equal(run.code, 1, describeRun(run))
      assert.equal(run.stdout, '')
      assert.match(run.stderr, /routes\[0\]/)
    })

    it('exits 2 without --file', async () => {
      const run = await runCli(['config', 'agent-command', '--path', 'export.toml'])
      assert.equal(run.code, 2, describeRun(run))
      assert.match(run.stderr, /--file/)
    })

    it('refuses a --path the Agent would mangle (it strips spaces and splits on commas)', async () => {
      for (const path of ['/configs/my export.toml', '/configs/a,b.toml']) {
        const run = await runCli(['config', 'agent-command', '--file', join(FIXTURES_DIR, 'agent-saved-config.toml'), '--path', path])
        assert.equal(run.code, 2, describeRun(run))
        assert.equal(run.stdout, '')
        assert.match(run.stderr, /spaces or commas/)
      }
    })

    // Issue 10: a target taken from MF_EXPORT_CONFIG_FILE, or an empty --path, went out unchecked.
    it('refuses a target path the Agent cannot carry wherever it comes from, naming where', async () => {
      const file = join(FIXTURES_DIR, 'agent-saved-config.toml')
      const cases: Array<{ args: string[]; env: Record<string, string>; source: RegExp }> = [
        { args: ['--path', ''], env: {}, source: /from --path\) is empty/ },
        { args: [], env: { MF_EXPORT_CONFIG_FILE: '/opt/my configs/export.toml' }, source: /from MF_EXPORT_CONFIG_FILE\) contains spaces/ },
        { args: [], env: { MF_EXPORT_CONFIG_FILE: '/opt/a,b/export.toml' }, source: /from MF_EXPORT_CONFIG_FILE\) contains a comma/ },
      ]
      for (const c of cases) {
        const run = await runCli(['config', 'agent-command', '--file', file, ...c.args], c.env)
        assert.equal(run.code, 2, describeRun(run))
        assert.equal(run.stdout, '', 'a command was printed anyway')
        assert.match(run.stderr, c.source, describeRun(run))
      }
    })
  })
})
