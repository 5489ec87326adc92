import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const run = promisify(execFile)
/** The shell scripts a user or CI runs: the README's test line and .ci/run start with two of them. */
const SCRIPTS = ['.ci/run', 'scripts/install-test-deps.sh', 'scripts/test-on-node.sh', 'scripts/configure.sh', 'scripts/export_start']
const SHELLCHECK = ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck'].find((p) => existsSync(p))

void describe('shell scripts', () => {
  void it('pass shellcheck', async () => {
    assert.ok(SHELLCHECK, 'shellcheck not found: install it with "scripts/install-test-deps.sh" (apt-get install -y shellcheck)')
    const { stdout } = await run(SHELLCHECK, ['--format=gcc', ...SCRIPTS]).catch((err: unknown) => {
      const e = err as { stdout?: string }
      throw new Error(`shellcheck found problems:\n${e.stdout ?? ''}`, { cause: err })
    })
    assert.equal(stdout, '')
  })
})
