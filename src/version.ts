import { readFileSync } from 'node:fs'

/** Version and build facts for /health, /version and --version. */
export interface BuildInfo {
  version: string
  commit: string
  buildTime: string
}

function readJson(relative: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as Record<string, unknown>
  } catch {
    return undefined // absent when running from an unbuilt tree: defaults below apply
  }
}

let cached: BuildInfo | undefined

/** package.json gives the version; dist/build-info.json (written by `npm run build`) the commit and time. */
export function buildInfo(): BuildInfo {
  if (cached) return cached
  const pkg = readJson('../../package.json') ?? readJson('../package.json')
  const build = readJson('../build-info.json')
  cached = {
    version: typeof pkg?.version === 'string' ? pkg.version : '0.0.0',
    commit: typeof build?.commit === 'string' ? build.commit : 'unknown',
    buildTime: typeof build?.buildTime === 'string' ? build.buildTime : 'unknown',
  }
  return cached
}
