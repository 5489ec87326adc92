import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { FIXTURES_DIR } from '../helpers/fixtures.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'

const run = promisify(execFile)
const ROOT = process.cwd()

interface PackResult {
  filename: string
  files: Array<{ path: string }>
}

/** The commit the build recorded: MF_EXPORT_COMMIT, else the checkout's HEAD (as scripts/build-info.mjs does). */
async function expectedCommit(): Promise<string> {
  if (process.env.MF_EXPORT_COMMIT !== undefined) return process.env.MF_EXPORT_COMMIT
  const { stdout } = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).catch((err: unknown) => {
    throw new Error('not a git checkout: set MF_EXPORT_COMMIT for the build and this test', { cause: err })
  })
  return stdout.trim()
}

/**
 * `npm pack`, then `npm install -g` of the tarball into a private prefix, as on a gateway. Scripts
 * are skipped on both sides: `npm test` has just built dist/ (prepare would only build it again),
 * and better-sqlite3's compile (a minute) is not what is checked here.
 */
void describe('the npm package', () => {
  let dir: string
  let pack: PackResult
  let prefix: string
  const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }

  before(async () => {
    dir = await makeTempDir('package')
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env })
    pack = (JSON.parse(packed.stdout) as PackResult[])[0] as PackResult
    prefix = join(dir, 'prefix')
    await run('npm', ['install', '--global', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', join(dir, pack.filename)], { cwd: dir, env, timeout: 180_000 })
  })
  after(() => removeDir(dir))

  void it('holds the built service, its status page, the demo, the build info and the systemd unit, and no sources or tests', () => {
    const paths = pack.files.map((f) => f.path)
    // The status page's parts are read at run time (issue 11): without them GET / fails.
    const page = ['index.html', 'style.css', 'chart.js', 'page.js'].map((f) => `dist/src/http/status-page/${f}`)
    for (const path of ['package.json', 'dist/src/main.js', 'dist/src/demo/main.js', 'dist/build-info.json', 'deploy/mainflux-export.service', 'proto/message.proto', 'docs/operations.md', ...page]) {
      assert.ok(paths.includes(path), `${path} in the tarball`)
    }
    const strays = paths.filter((p) => /^(src|test|bench|dist\/test|dist\/bench|node_modules)\//.test(p) || p.endsWith('.ts'))
    assert.deepEqual(strays, [])
  })

  void it('installs without TypeScript or any dev dependency', async () => {
    const installed = join(prefix, 'lib/node_modules/mainflux-export')
    assert.ok(existsSync(join(installed, 'dist/src/main.js')))
    assert.equal(existsSync(join(installed, 'node_modules/typescript')), false, 'typescript installed')
    // Every package the lock file marks as needed only for development (@types/node is not one:
    // mqtt's own types depend on it).
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
    const devOnly = Object.entries(lock.packages).filter(([path, p]) => p.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
    assert.ok(devOnly.length > 10, `dev-only packages in the lock file: ${devOnly.length}`)
    const installedDev = devOnly.map(([path]) => path).filter((path) => existsSync(join(installed, path)))
    assert.deepEqual(installedDev, [])
    assert.ok(existsSync(join(installed, 'node_modules/better-sqlite3')), 'runtime dependencies installed')
  })

  void it('reports its version and the commit it was built from with --version', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const commit = await expectedCommit()
    assert.match(commit, /^[0-9a-f]{7,40}$/)
    const { stdout } = await run(join(prefix, 'bin/mainflux-export'), ['--version'])
    assert.equal(stdout, `mainflux-export ${version} (${commit})\n`)
  })

  void it('checks a config file with the installed command', async () => {
    const { stdout } = await run(join(prefix, 'bin/mainflux-export'), ['config', 'check', resolve(FIXTURES_DIR, 'seed-doc-config.toml')])
    assert.match(stdout, /\[mqtt\]/)
  })

  void it('installs the demo command', async () => {
    const { stdout } = await run(join(prefix, 'bin/mainflux-export-demo'), ['--help'])
    assert.match(stdout, /Usage: npm run demo/)
  })
})
