// Writes dist/build-info.json (commit and build time) for /health. Run by `npm run build`.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'

let commit = process.env.MF_EXPORT_COMMIT ?? 'unknown'
if (commit === 'unknown') {
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  } catch {
    // not a git checkout (e.g. an npm tarball): keep "unknown"
  }
}
mkdirSync('dist', { recursive: true })
writeFileSync('dist/build-info.json', JSON.stringify({ commit, buildTime: new Date().toISOString() }) + '\n')
