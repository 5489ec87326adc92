import { topicProblem } from '../mqtt-limits.js'

/** A subject whose topic no broker takes (issue 10): why, and the topic it would have been. */
export class InvalidTopic {
  constructor(
    readonly topic: string,
    readonly problem: string,
  ) {}
}

/**
 * Maps NATS subjects to MQTT topics (docs/configuration.md, "Topic mapping"):
 * `<mqtt_topic>/<subtopic>/<subject with '.' → '/'>`, without `<subtopic>/` when it is empty.
 *
 * A subject may hold what a topic cannot (`+`, `#`, NUL, bytes that are not UTF-8): such a subject
 * maps to an {@link InvalidTopic}, so the message is refused before it is queued, where it would
 * make the broker drop the connection on every attempt.
 *
 * Subjects repeat (a sensor publishes on the same subject forever), so results, checked ones
 * included, are cached; the cache is bounded because a bus with unbounded subject cardinality must
 * not grow memory without limit.
 */
export class TopicMap {
  readonly #prefix: string
  readonly #cache = new Map<string, string | InvalidTopic>()
  readonly #maxEntries: number

  constructor(mqttTopic: string, subtopic: string, maxEntries = 10_000) {
    const base = mqttTopic.replace(/\/+$/, '')
    this.#prefix = subtopic === '' ? `${base}/` : `${base}/${subtopic}/`
    this.#maxEntries = maxEntries
  }

  topicFor(subject: string): string | InvalidTopic {
    let topic = this.#cache.get(subject)
    if (topic === undefined) {
      const mapped = this.#prefix + subject.replaceAll('.', '/')
      const problem = topicProblem(mapped)
      topic = problem === undefined ? mapped : new InvalidTopic(mapped, problem)
      if (this.#cache.size >= this.#maxEntries) this.#cache.clear()
      this.#cache.set(subject, topic)
    }
    return topic
  }
}
