import type { StoreConfig } from '../config/types.js'
import { FileStore } from './file-store.js'
import type { StoreLogger } from './file-store.js'
import { MemoryStore } from './memory-store.js'
import type { MessageStore } from './store.js'

/** The store the config asks for. `log` receives the file store's faults (disk full, corrupt file). */
export function createStore(config: StoreConfig, log?: StoreLogger): MessageStore {
  switch (config.type) {
    case 'memory':
      return new MemoryStore(config)
    case 'file':
      return new FileStore(config, log)
  }
}
