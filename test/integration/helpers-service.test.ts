// Tests of the service-process helper against a stand-in for dist/src/main.js that keeps the same
// contract (JSON log lines, --config, /health, SIGTERM), so the helper is checked before the
// service exists and independently of it.
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { freePort } from '../helpers/free-port.js'
import { startService } from '../helpers/service-process.js'
import { makeTempDir, removeDir } from '../helpers/temp-dir.js'

const FAKE_MAIN = `
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
const log = (level, message, fields = {}) =>
  process.stdout.write(JSON.stringify({ level, message, ts: new Date().toISOString(), ...fields }) + '\\n')
const configPath = process.argv[process.argv.indexOf('--config') + 1]
const text = readFileSync(configPath, 'utf8')
const port = Number(/port\\s*=\\s*"?(\\d+)/.exec(text)[1])
if (text.includes('crash = true')) { process.stderr.write('boom: bad config\\n'); process.exit(3) }
const mfVars = Object.keys(process.env).filter((k) => k.startsWith('MF_')).sort()
process.stdout.write('not json at all\\n')
const server = createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ status: 'pass', description: 'export service' }))
})
server.listen(port, '127.0.0.1', () => log('info', 'http listening', { port, store: process.env.MF_EXPORT_STORE_PATH, mfVars, args: process.argv.slice(2) }))
if (!text.includes('ignore_term = true')) {
  process.on('SIGTERM', () => { log('info', 'stopping'); server.close(() => process.exit(0)) })
} else {
  process.on('SIGTERM', () => log('warn', 'ignoring SIGTERM'))
}
`

describe('service process helper', { timeout: 30_000 }, () => {
  let dir = ''
  let mainPath = ''
  before(async () => {
    dir = await makeTempDir('fake-main')
    mainPath = join(dir, 'main.mjs')
    await writeFile(mainPath, FAKE_MAIN)
  })
  after(async () => {
    await removeDir(dir)
  })

  it('collects JSON logs and raw lines, answers health and stops with SIGTERM', async () => {
    const httpPort = await freePort()
    process.env.MF_EXPORT_LEAKED_FROM_SHELL = 'x'
    const service = await startService({
      mainPath,
      httpPort,
      configText: `[exp]\nport = "${httpPort}"\n`,
      env: { MF_EXPORT_LOG_LEVEL: 'debug' },
      args: ['--extra'],
    })
    try {
      const listening = await service.waitForLog((e) => e.message === 'http listening', 5000)
      assert.equal(listening.port, httpPort)
      assert.equal(listening.store, service.storePath)
      assert.ok(service.storePath.startsWith(service.dir))
      // Only what the test passed: the shell's MF_ variables would make tests depend on the machine.
      assert.deepEqual(listening.mfVars, ['MF_EXPORT_LOG_LEVEL', 'MF_EXPORT_STORE_PATH'])
      assert.deepEqual(listening.args, ['--config', service.configPath, '--extra'])
      assert.deepEqual(service.rawLines, ['not json at all'])
      const health = await service.health()
      assert.equal(health.status, 200)
      assert.deepEqual(health.body, { status: 'pass', description: 'export service' })

      const status = await service.stop()
      assert.deepEqual(status, { code: 0, signal: null })
      assert.ok(service.logs.some((e) => e.message === 'stopping'))
      await assert.rejects(service.waitForLog((e) => e.message === 'never', 5000, 'a line that never comes'), /service exited before logging a line that never comes: exit code 0/)
    } finally {
      delete process.env.MF_EXPORT_LEAKED_FROM_SHELL
      await service.close()
      await service.close()
    }
  })

  it('falls back to SIGKILL when SIGTERM is ignored, and restarts with the same store', async () => {
    const httpPort = await freePort()
    await using service = await startService({ mainPath, httpPort, configText: `port = ${httpPort}\nignore_term = true\n` })
    const store = service.storePath
    await service.waitForLog((e) => e.message === 'http listening', 5000)
    const status = await service.stop(300)
    assert.equal(status.signal, 'SIGKILL')
    assert.ok(service.logs.some((e) => e.message === 'ignoring SIGTERM'))

    await service.restart()
    const again = await service.waitForLog((e) => e.message === 'http listening', 5000)
    assert.equal(again.store, store)
    assert.equal((await service.kill()).signal, 'SIGKILL')
  })

  it('rejects with the exit status and stderr when the service dies during start', async () => {
    const httpPort = await freePort()
    await assert.rejects(
      startService({ mainPath, httpPort, configText: `port = ${httpPort}\ncrash = true\n` }),
      /service exited during start: exit code 3; output:\s*boom: bad config/,
    )
  })

  it('says how to build when main.js is missing', async () => {
    await assert.rejects(startService({ mainPath: join(dir, 'nope.js') }), /nope\.js not found: build the service first/)
  })
})
