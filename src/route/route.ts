import type { RouteConfig } from '../config/types.js'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { PublishLimits } from '../mqtt-limits.js'
import type { HandleResult, MessageTarget } from '../source/message-source.js'
import type { Settled } from '../store/message.js'
import type { MessageStore } from '../store/store.js'
import { RateLimitedLog } from '../rate-limited-log.js'
import { isControlSubject } from '../agent/subjects.js'
import { RouteStats } from './route-stats.js'
import { subscriptionSubject } from './subject.js'
import { InvalidTopic, TopicMap } from './topic-map.js'
import { transformFor } from './transform.js'
import type { Transform } from './transform.js'

/**
 * One `[[routes]]` entry at run time: maps and transforms each NATS message and appends it to the
 * store. The route id is its `nats_topic`, unique per config and stable across restarts, so a
 * durable store finds its queue again.
 */
export class Route implements MessageTarget {
  readonly id: string
  readonly config: RouteConfig
  readonly subject: string
  readonly stats: RouteStats
  readonly #topics: TopicMap
  readonly #transform: Transform
  readonly #store: MessageStore
  readonly #limits: PublishLimits | undefined
  readonly #invalidLog: RateLimitedLog
  readonly #topicLog: RateLimitedLog
  readonly #sizeLog: RateLimitedLog

  /** `limits`: the broker's size limit as far as it is known (shared with the sink, which learns it). */
  constructor(config: RouteConfig, store: MessageStore, log: Logger, stats = new RouteStats(), limits?: PublishLimits) {
    this.id = config.natsTopic
    this.config = config
    this.subject = subscriptionSubject(config.natsTopic)
    this.stats = stats
    this.#topics = new TopicMap(config.mqttTopic, config.subtopic)
    this.#transform = transformFor(config.type)
    this.#store = store
    this.#limits = limits
    const routeLog = log.child({ component: 'route', route: this.id })
    // One per reason: a flood of one kind must not hide the first line of another.
    this.#invalidLog = new RateLimitedLog(routeLog, 10_000)
    this.#topicLog = new RateLimitedLog(routeLog, 10_000)
    this.#sizeLog = new RateLimitedLog(routeLog, 10_000)
  }

  /**
   * Takes one message off NATS: `stored`, `invalid` (counted, logged, skipped: the transform failed,
   * the subject makes a topic no broker takes, or the message is bigger than the broker takes),
   * `refused` by the store's overflow policy or a full disk (counted by the store), or `ignored`
   * (the Agent's reload commands, which are for this service, not for the cloud).
   */
  handle(subject: string, data: Uint8Array, onSettled?: Settled): HandleResult {
    if (isControlSubject(subject)) return 'ignored'
    this.stats.received++
    const topic = this.#topics.topicFor(subject)
    if (topic instanceof InvalidTopic) {
      this.stats.invalidTopic++
      this.stats.lastInvalidAt = Date.now()
      this.#topicLog.warn({ subject, topic: topic.topic, reason: topic.problem, code: 'EXP_TOPIC_INVALID' }, 'message skipped: its subject makes an invalid MQTT topic')
      return 'invalid'
    }
    let payload: Buffer
    try {
      payload = this.#transform(data)
    } catch (err: unknown) {
      this.stats.invalidTransform++
      this.stats.lastInvalidAt = Date.now()
      this.#invalidLog.warn({ subject, type: this.config.type, err: describeError(err) }, 'invalid payload skipped')
      return 'invalid'
    }
    const tooLarge = this.#limits?.tooLarge(topic, payload.length)
    if (tooLarge !== undefined) {
      this.stats.invalidTooLarge++
      this.stats.lastInvalidAt = Date.now()
      const limits = this.#limits!
      this.#sizeLog.warn(
        { subject, bytes: tooLarge, maxBytes: limits.maxBytes, limit: limits.source, code: 'EXP_MESSAGE_TOO_LARGE' },
        'message skipped: bigger than the MQTT broker takes',
      )
      return 'invalid'
    }
    return this.#store.append(this.id, topic, payload, Date.now(), onSettled) ? 'stored' : 'refused'
  }

  redelivered(): void {
    this.stats.redelivered++
  }
}
