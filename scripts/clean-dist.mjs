// Empties dist/ before a build: tsc never deletes the output of a source file that was moved or
// removed, and test/run.mjs would otherwise run a stale test against stale modules.
import { rmSync } from 'node:fs'

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
