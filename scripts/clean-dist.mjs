// Empties dist/ before a build: tsc never deletes the output of a source file that was moved or
// removed, and test/run.mjs would otherwise run a stale test against stale modules.
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

rmSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'), { recursive: true, force: true })
