// Runs the whole suite with node's test runner: unit, integration, then fault tests, from dist/.
// Fails at once, with the install command, if a broker the tests start is missing.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const binaries = ['nats-server', 'mosquitto', 'mosquitto_passwd', 'mosquitto_sub', 'openssl']
const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin'])
const missing = binaries.filter((b) => !dirs.some((d) => existsSync(`${d}/${b}`)))
if (missing.length > 0) {
  console.error(`missing: ${missing.join(', ')}; install them with "apt-get install -y nats-server mosquitto mosquitto-clients openssl"`)
  process.exit(1)
}

const only = process.argv.slice(2)
const suites = only.length > 0 ? only : ['dist/test/unit', 'dist/test/integration', 'dist/test/fault']
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=240000', ...suites], { stdio: 'inherit' })
process.exit(result.status ?? 1)
