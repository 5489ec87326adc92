import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'

const run = promisify(execFile)
const UNIT = resolve(process.cwd(), 'deploy/mainflux-export.service')
const SYSTEMD_ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p))

/** `Key=value` lines of the unit, by key (a key may repeat). */
function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim())
    if (m?.[1] === undefined || m[2] === undefined) continue
    map.set(m[1], [...(map.get(m[1]) ?? []), m[2]])
  }
  return map
}

/**
 * The unit with its command made absolute: systemd resolves `mainflux-export` in /usr/local/bin or
 * /usr/bin, where the test machine has no installed package, and verify checks that it exists.
 * Everything else is checked as shipped.
 */
async function unitForVerify(dir: string): Promise<string> {
  const text = await readFile(UNIT, 'utf8')
  const main = resolve(process.cwd(), 'dist/src/main.js')
  const replaced = text.replace(/^ExecStart=mainflux-export /m, `ExecStart=${process.execPath} ${main} `)
  assert.notEqual(replaced, text, 'ExecStart=mainflux-export … in the unit')
  const path = join(dir, 'mainflux-export.service')
  await writeFile(path, replaced)
  return path
}

void describe('deploy/mainflux-export.service', () => {
  void it('runs as its own user with a state directory for the store, a configuration directory, reload on SIGHUP and restart on failure', async () => {
    const d = directives(await readFile(UNIT, 'utf8'))
    assert.deepEqual(d.get('User'), ['mainflux-export'])
    assert.deepEqual(d.get('StateDirectory'), ['mainflux-export'])
    assert.deepEqual(d.get('ConfigurationDirectory'), ['mainflux/export'])
    assert.deepEqual(d.get('ExecStart'), ['mainflux-export --config /etc/mainflux/export/config.toml'])
    assert.deepEqual(d.get('ExecReload'), ['/bin/kill -HUP $MAINPID'])
    assert.deepEqual(d.get('Restart'), ['on-failure'])
    assert.ok(d.get('Environment')?.includes('MF_EXPORT_STORE_PATH=/var/lib/mainflux-export/store'), 'the store inside the state directory')
  })

  void it('is hardened, and may write only to the store', async () => {
    const d = directives(await readFile(UNIT, 'utf8'))
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      CapabilityBoundingSet: '',
    })) {
      assert.deepEqual(d.get(key), [value], key)
    }
    assert.deepEqual(d.get('ReadWritePaths'), ['/var/lib/mainflux-export'])
  })

  void it('passes systemd-analyze verify, without a warning', { skip: SYSTEMD_ANALYZE === undefined ? 'systemd-analyze is not installed' : false }, async () => {
    const dir = await makeTempDir('unit')
    try {
      const path = await unitForVerify(dir)
      const { stdout, stderr } = await run(SYSTEMD_ANALYZE ?? 'systemd-analyze', ['verify', path]).catch((err: unknown) => {
        const e = err as { stdout?: string; stderr?: string }
        throw new Error(`systemd-analyze verify failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err })
      })
      // Unknown keys and bad values are only warnings (exit 0): none is allowed.
      assert.equal(`${stdout}${stderr}`, '')
    } finally {
      await removeDir(dir)
    }
  })

  void it('rates "OK" in systemd-analyze security', { skip: SYSTEMD_ANALYZE === undefined ? 'systemd-analyze is not installed' : false }, async (t) => {
    const help = await run(SYSTEMD_ANALYZE ?? 'systemd-analyze', ['--help'])
    if (!help.stdout.includes('--offline')) {
      t.skip('this systemd-analyze has no --offline (systemd < 250)')
      return
    }
    const dir = await makeTempDir('unit')
    try {
      const path = await unitForVerify(dir)
      // The exposure (0 best … 10 worst) times ten; systemd calls below 2.0 "OK". 1.3 when written.
      const { stdout } = await run(SYSTEMD_ANALYZE ?? 'systemd-analyze', ['security', '--offline=yes', '--threshold=19', path]).catch((err: unknown) => {
        const e = err as { stdout?: string }
        throw new Error(`exposure over 1.9:\n${e.stdout ?? ''}`, { cause: err })
      })
      assert.match(stdout, /Overall exposure level for mainflux-export\.service: [01]\.\d /)
    } finally {
      await removeDir(dir)
    }
  })
})
