// `npm install` in a clone runs this (the "prepare" script): it builds dist/ with `npm run build`.
// TypeScript is a dev dependency, so `npm install --omit=dev` has no compiler: the runtime
// dependencies are installed (better-sqlite3 built) and dist/ is left as it is, with a note on how
// to get a built service. The npm package (`npm pack`) ships dist/ and never runs this on install.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let haveTypeScript = true
try {
  require.resolve('typescript/package.json')
} catch {
  haveTypeScript = false
}

if (!haveTypeScript) {
  const built = existsSync('dist/src/main.js') // npm runs scripts in the package root
  console.error(
    'mainflux-export: TypeScript is not installed (npm install --omit=dev), so dist/ was not built' +
      (built ? '; the dist/ already there is used.' : '.') +
      '\n  To run from this clone: npm install (with the dev dependencies), or build elsewhere with' +
      '\n  `npm pack` and install the tarball: npm install -g mainflux-export-<version>.tgz',
  )
  process.exit(0)
}

// npm sets npm_execpath for lifecycle scripts; it runs the same "build" script as `npm run build`.
const npm = process.env.npm_execpath
const result = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { stdio: 'inherit' })
process.exit(result.status ?? 1)
