// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package.
// node dist/bench/profile.js FILE.cpuprofile [top]
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

/** Self time of one function, or of one package. */
export interface SelfTime {
  name: string
  ms: number
  share: number
}

export interface ProfileSummary {
  totalMs: number
  /** Time not idle and not in the profiler/GC pseudo-frames. */
  busyMs: number
  idleMs: number
  gcMs: number
  functions: SelfTime[]
  packages: SelfTime[]
}

/** Which package (or part of this project, or node itself) a script URL belongs to. */
export function packageOf(url: string): string {
  if (url === '') return '(native)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`
  const src = url.indexOf('/dist/src/')
  if (src >= 0) return `src/${url.slice(src + 10).split('/')[0]}`
  const bench = url.indexOf('/dist/bench/')
  if (bench >= 0) return 'bench'
  return url
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length)
  const dist = url.indexOf('/dist/')
  if (dist >= 0) return url.slice(dist + 6)
  return url.replace(/^file:\/\//, '')
}

export function summarise(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfByNode = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  }
  const fns = new Map<string, number>()
  const pkgs = new Map<string, number>()
  let total = 0
  let idle = 0
  let gc = 0
  for (const [id, ms] of selfByNode) {
    const frame = byId.get(id)?.callFrame
    if (frame === undefined) continue
    total += ms
    if (frame.functionName === '(idle)') {
      idle += ms
      continue
    }
    if (frame.functionName === '(garbage collector)') gc += ms
    const key = frame.url === ''
      ? frame.functionName || '(anonymous)'
      : `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
    fns.set(key, (fns.get(key) ?? 0) + ms)
    const pkg = frame.functionName === '(garbage collector)' ? '(gc)' : frame.functionName === '(program)' ? '(program)' : packageOf(frame.url)
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + ms)
  }
  const busy = total - idle
  const rank = (m: Map<string, number>, n: number): SelfTime[] =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, ms]) => ({ name, ms, share: busy > 0 ? ms / busy : 0 }))
  return { totalMs: total, busyMs: busy, idleMs: idle, gcMs: gc, functions: rank(fns, top), packages: rank(pkgs, 15) }
}

export async function summariseFile(path: string, top = 25): Promise<ProfileSummary> {
  return summarise(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, top)
}

/** The summary as markdown tables. */
export function renderSummary(title: string, s: ProfileSummary): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`
  const lines = [
    `#### ${title}`,
    '',
    `Profile ${(s.totalMs / 1000).toFixed(1)} s: busy ${(s.busyMs / 1000).toFixed(2)} s, idle ${(s.idleMs / 1000).toFixed(2)} s, GC ${(s.gcMs / 1000).toFixed(2)} s.`,
    '',
    '| package | self ms | share of busy |',
    '|---|---:|---:|',
    ...s.packages.map((p) => `| ${p.name} | ${p.ms.toFixed(0)} | ${pct(p.share)} |`),
    '',
    '| function (self time) | self ms | share of busy |',
    '|---|---:|---:|',
    ...s.functions.map((f) => `| \`${f.name}\` | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
    '',
  ]
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2)
  if (file === undefined) {
    console.error('usage: profile.js FILE.cpuprofile [top]')
    process.exit(2)
  }
  console.log(renderSummary(file, await summariseFile(file, Number(top ?? 25))))
}
