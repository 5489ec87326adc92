/**
 * Maps NATS subjects to MQTT topics (SPEC §4):
 * `<mqtt_topic>/<subtopic>/<subject with '.' → '/'>`, without `<subtopic>/` when it is empty.
 *
 * Subjects repeat (a sensor publishes on the same subject forever), so results are cached; the cache
 * is bounded because a bus with unbounded subject cardinality must not grow memory without limit.
 */
export class TopicMap {
  readonly #prefix: string
  readonly #cache = new Map<string, string>()
  readonly #maxEntries: number

  constructor(mqttTopic: string, subtopic: string, maxEntries = 10_000) {
    const base = mqttTopic.replace(/\/+$/, '')
    this.#prefix = subtopic === '' ? `${base}/` : `${base}/${subtopic}/`
    this.#maxEntries = maxEntries
  }

  topicFor(subject: string): string {
    let topic = this.#cache.get(subject)
    if (topic === undefined) {
      topic = this.#prefix + subject.replaceAll('.', '/')
      if (this.#cache.size >= this.#maxEntries) this.#cache.clear()
      this.#cache.set(subject, topic)
    }
    return topic
  }
}
