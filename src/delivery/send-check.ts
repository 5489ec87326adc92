import { DeadLetterError } from '../errors.js'
import { topicProblem } from '../mqtt-limits.js'
import type { PublishLimits } from '../mqtt-limits.js'
import type { StoredMessage } from '../store/message.js'

/**
 * The last look at a message before it is published: what route.ts refuses at intake may already
 * be in the store (issue 10). A message queued by an earlier run (maybe an older version) under a
 * topic no broker takes, or bigger than the broker's limit learned at connect, would make the
 * broker drop the connection, or refuse it, each time: it is dead-lettered instead of published.
 *
 * Runs for every message, so it stays cheap: an integer comparison, and arithmetic when a size
 * limit is known.
 */
export class SendCheck {
  readonly #limits: PublishLimits
  readonly #recoveredSeq: () => number

  /** `recoveredSeq`: messages up to this seq were queued by an earlier run (the store's `recoveredSeq`). */
  constructor(limits: PublishLimits, recoveredSeq: () => number) {
    this.#limits = limits
    this.#recoveredSeq = recoveredSeq
  }

  /** Why the message must not be published, or undefined. */
  refuse(message: StoredMessage): DeadLetterError | undefined {
    // This run's messages passed route.ts's check before they were queued.
    if (message.seq <= this.#recoveredSeq()) {
      const problem = topicProblem(message.topic)
      if (problem !== undefined) return new DeadLetterError('topic', `${problem} (queued by an earlier run)`)
    }
    const bytes = this.#limits.tooLarge(message.topic, message.payload.length)
    if (bytes !== undefined) {
      return new DeadLetterError('too_large', `its PUBLISH packet is ${bytes} bytes, the broker takes at most ${this.#limits.maxBytes ?? 0} (${this.#limits.source})`)
    }
    return undefined
  }
}
