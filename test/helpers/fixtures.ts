import { fileURLToPath } from 'node:url'

/**
 * `test/fixtures/` of this repository: config files in the shapes users and the Mainflux Agent write.
 * Resolved from this file (compiled to `dist/test/helpers/`), not from the working directory, so the
 * tests find them wherever the clone is and whatever directory they are started from.
 */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url))
