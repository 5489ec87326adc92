import type { ConfigReloader } from '../reload/config-reloader.js'
import type { HttpServer } from './server.js'
import { sendJson } from './server.js'

/** `POST /reload` (docs/operations.md, "Reloading"): re-reads the config file; 200 with the changes, 422 with the error. */
export function registerReload(http: HttpServer, reloader: ConfigReloader): void {
  http.on('POST', '/reload', async (_req, res) => {
    const result = await reloader.reload('POST /reload')
    sendJson(res, result.ok ? 200 : 422, result)
  })
}
