// Copies the status page's parts (HTML, CSS and browser scripts, which tsc does not emit) beside
// the compiled src/http/status-page-html.js, which reads them at run time. Run by `npm run build`.
import { cpSync, rmSync } from 'node:fs'

const from = 'src/http/status-page'
const to = 'dist/src/http/status-page'
rmSync(to, { recursive: true, force: true })
cpSync(from, to, { recursive: true })
