import assert from 'node:assert/strict'
import type { ServiceProcess } from './service-process.js'

/** Everything the current run of the service wrote: its JSON log lines, other stdout lines and stderr. */
export function serviceOutput(service: ServiceProcess): string {
  return [...service.logs.map((e) => JSON.stringify(e)), ...service.rawLines, service.stderr()].join('\n')
}

// A PEM key in a JSON log line would have its line breaks escaped (`\n`), so the whole PEM text is
// never found even when the key leaked; each line of its base64 body is. Short lines (the last
// one can be a few characters) are skipped: they could match by chance.
const MIN_PIECE = 16

function secretPieces(secret: string): string[] {
  if (!secret.includes('-----BEGIN')) return [secret]
  const body = secret.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('-----'))
  return [...body.filter((line) => line.length >= MIN_PIECE), 'PRIVATE KEY-----']
}

/**
 * Fails if `text` contains one of `secrets` (a password, or a PEM private key, found by any line of
 * its body). The message names the secret and where it was found, never the secret itself.
 */
export function assertNoSecrets(text: string, secrets: Readonly<Record<string, string>>, where: string): void {
  for (const [name, secret] of Object.entries(secrets)) {
    assert.ok(secret.length >= 4, `assertNoSecrets: the ${name} is too short to look for`)
    for (const piece of secretPieces(secret)) assert.ok(!text.includes(piece), `${where} contains the ${name}`)
  }
}
