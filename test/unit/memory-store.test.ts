import { describe } from 'node:test'
import { MemoryStore } from '../../src/store/memory-store.js'
import { openRecorded, storeContract } from '../helpers/store-contract.js'

describe('memory store', () => {
  storeContract('memory', async (t, limits = {}) => {
    const store = new MemoryStore({ maxBytes: 1 << 30, overflow: 'drop_oldest', maxAgeMs: 0, ...limits })
    t.after(() => store.close())
    return openRecorded(store)
  })
})
