import type { ServiceStatus } from '../service.js'
import { buildInfo } from '../version.js'
import type { HttpServer } from './server.js'
import { sendJson } from './server.js'

/** `/health` and `/version` (SPEC §8), in the shape of the Mainflux services plus our fields. */
export function registerHealth(http: HttpServer, status: () => ServiceStatus & { configError?: string }): void {
  http.on('GET', '/health', (_req, res) => {
    const s = status()
    const info = buildInfo()
    const pass = s.nats === 'connected'
    sendJson(res, pass ? 200 : 503, {
      status: pass ? 'pass' : 'fail',
      version: info.version,
      commit: info.commit,
      description: 'export service',
      build_time: info.buildTime,
      nats: s.nats,
      mqtt: s.mqtt,
      store: s.store,
      queued: s.queued,
      last_error: s.configError ?? s.lastError ?? '',
    })
  })
  http.on('GET', '/version', (_req, res) => {
    sendJson(res, 200, { service: 'export', version: buildInfo().version })
  })
}
