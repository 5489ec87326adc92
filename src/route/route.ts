import type { RouteConfig } from '../config/types.js'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { HandleResult } from '../source/source.js'
import type { MessageStore } from '../store/store.js'
import { RateLimitedLog } from '../rate-limited-log.js'
import { isControlSubject } from './control-subjects.js'
import { RouteStats } from './route-stats.js'
import { subscriptionSubject } from './subject.js'
import { TopicMap } from './topic-map.js'
import { transformFor } from './transform.js'
import type { Transform } from './transform.js'

/**
 * One `[[routes]]` entry at run time: maps and transforms each NATS message and appends it to the
 * store. The route id is its `nats_topic`, unique per config and stable across restarts, so a
 * durable store finds its queue again.
 */
export class Route {
  readonly id: string
  readonly config: RouteConfig
  readonly subject: string
  readonly stats: RouteStats
  readonly #topics: TopicMap
  readonly #transform: Transform
  readonly #store: MessageStore
  readonly #invalidLog: RateLimitedLog

  constructor(config: RouteConfig, store: MessageStore, log: Logger, stats = new RouteStats()) {
    this.id = config.natsTopic
    this.config = config
    this.subject = subscriptionSubject(config.natsTopic)
    this.stats = stats
    this.#topics = new TopicMap(config.mqttTopic, config.subtopic)
    this.#transform = transformFor(config.type)
    this.#store = store
    this.#invalidLog = new RateLimitedLog(log.child({ component: 'route', route: this.id }), 10_000)
  }

  /**
   * Takes one message off NATS: `stored`, `invalid` (counted, logged, skipped), `refused` by the
   * store's overflow policy or a full disk (counted by the store), or `ignored` (the Agent's reload
   * commands, which are for this service, not for the cloud).
   */
  handle(subject: string, data: Uint8Array, onDelivered?: () => void): HandleResult {
    if (isControlSubject(subject)) return 'ignored'
    this.stats.received++
    let payload: Buffer
    try {
      payload = this.#transform(data)
    } catch (err: unknown) {
      this.stats.invalid++
      this.stats.lastInvalidAt = Date.now()
      this.#invalidLog.warn({ subject, type: this.config.type, err: describeError(err) }, 'invalid payload skipped')
      return 'invalid'
    }
    return this.#store.append(this.id, this.#topics.topicFor(subject), payload, Date.now(), onDelivered) ? 'stored' : 'refused'
  }
}
