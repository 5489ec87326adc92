import { parseArgs } from 'node:util'
import type { DemoOptions } from './demo.js'

/** The demo's `--help`. */
export const USAGE = `Usage: npm run demo [-- OPTIONS]   (installed: mainflux-export-demo [OPTIONS])

Starts a private nats-server and Mosquitto on free ports, the service between them with a file
store in a temp dir, a simulated fleet publishing SenML on two routes (alarms at priority 5), and
cuts the service's link to Mosquitto on a schedule. Ctrl-C stops it all and removes the temp dir.

  --http-port N     the service's HTTP port (status page); default 8170, a free one if 8170 is
                    taken; 0 for a free one
  --rate N          telemetry messages a second, all devices together; default 200
  --alarm-rate N    alarm messages a second; default 2
  --devices N       simulated devices; default 20
  --cut-every S     seconds from one link cut to the next; default 60
  --cut-for S       seconds each cut lasts; default 10
  --report-every S  seconds between two progress lines; default 5
  -h, --help
`

/** The service's default port, as in production; the demo moves off it when it is taken. */
export const DEFAULT_HTTP_PORT = 8170

/** Parses the flags; throws with a one-line reason on a bad value. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'http-port': { type: 'string' },
      rate: { type: 'string' },
      'alarm-rate': { type: 'string' },
      devices: { type: 'string' },
      'cut-every': { type: 'string' },
      'cut-for': { type: 'string' },
      'report-every': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help === true) return 'help'
  const number = (flag: keyof typeof values, fallback: number, min: number, max: number): number => {
    const text = values[flag]
    if (text === undefined || typeof text === 'boolean') return fallback
    const n = Number(text)
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new Error(`--${flag}: expected a number from ${min} to ${max}, found "${text}"`)
    return n
  }
  const opts: DemoOptions = {
    httpPort: Math.trunc(number('http-port', DEFAULT_HTTP_PORT, 0, 65535)),
    telemetryPerSecond: number('rate', 200, 0, 100_000),
    alarmsPerSecond: number('alarm-rate', 2, 0, 10_000),
    devices: Math.trunc(number('devices', 20, 1, 10_000)),
    cutEverySec: number('cut-every', 60, 1, 86_400),
    cutForSec: number('cut-for', 10, 0.1, 86_400),
    reportEverySec: number('report-every', 5, 0.5, 3600),
  }
  if (opts.cutForSec >= opts.cutEverySec) throw new Error(`--cut-for (${opts.cutForSec}) must be shorter than --cut-every (${opts.cutEverySec})`)
  return opts
}
