import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Creates a fresh directory under the OS temp dir, named after what it is for. */
export async function makeTempDir(purpose: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `mfx-test-${purpose}-`))
}

/** Removes a directory tree; a directory that is already gone is fine. */
export async function removeDir(dir: string): Promise<void> {
  // Retries cover a daemon that is still closing files in the directory as it exits.
  await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 })
}
