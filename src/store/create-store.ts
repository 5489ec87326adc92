import type { StoreConfig } from '../config/types.js'
import type { Logger } from '../logger.js'
import { MemoryStore } from './memory-store.js'
import type { MessageStore } from './store.js'

/** The store the config asks for. */
export function createStore(config: StoreConfig, _log: Logger): MessageStore {
  const limits = { maxBytes: config.maxBytes, overflow: config.overflow, maxAgeMs: config.maxAgeMs }
  switch (config.type) {
    case 'memory':
      return new MemoryStore(limits)
    case 'file':
      // TODO(#4): the durable file store. Until it lands, `file` behaves as `memory`.
      return new MemoryStore(limits)
  }
}
