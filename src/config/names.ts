/**
 * Rules for the names a route carries: NATS subjects, MQTT topics, JetStream stream and consumer
 * names. Each check returns the value or throws `<what> must …` (see `coerce.ts`).
 */

const WHITESPACE = /\s/
// JetStream stream and consumer names become file names on the server, hence the path separators.
const BAD_JETSTREAM_NAME_CHAR = /[\s.*>/\\\p{Cc}]/gu

/**
 * A NATS subject as a route's `nats_topic`: non-empty tokens separated by '.', no whitespace, `*`
 * only as a whole token, `>` only as the whole last token.
 */
export function checkNatsSubject(subject: string, what: string): string {
  if (subject === '') throw new Error(`${what} must not be empty`)
  if (WHITESPACE.test(subject)) throw new Error(`${what} must not contain whitespace`)
  const tokens = subject.split('.')
  if (tokens.some((t) => t === '')) throw new Error(`${what} must not have empty tokens (a leading, trailing or double '.')`)
  tokens.forEach((token, i) => {
    if (token.includes('>') && (token !== '>' || i !== tokens.length - 1)) {
      throw new Error(`${what} may use '>' only as its whole last token`)
    }
    if (token.includes('*') && token !== '*') throw new Error(`${what} may use '*' only as a whole token`)
  })
  return subject
}

/** A route's `mqtt_topic`: required, no wildcards (it is a publish topic) and no NUL. */
export function checkMqttTopic(topic: string, what: string): string {
  if (topic === '') throw new Error(`${what} must not be empty`)
  checkPublishable(topic, what)
  return topic
}

/** A route's `subtopic`: may be empty; no wildcards and no '/' at either end (it sits between two). */
export function checkSubtopic(subtopic: string, what: string): string {
  checkPublishable(subtopic, what)
  if (subtopic.startsWith('/') || subtopic.endsWith('/')) throw new Error(`${what} must not start or end with '/'`)
  return subtopic
}

function checkPublishable(topic: string, what: string): void {
  if (topic.includes('#')) throw new Error(`${what} must not contain '#'`)
  if (topic.includes('+')) throw new Error(`${what} must not contain '+'`)
  if (topic.includes('\u0000')) throw new Error(`${what} must not contain a NUL character`)
}

/** A JetStream stream or durable consumer name: non-empty, none of whitespace . * > / \ or control characters. */
export function checkJetStreamName(name: string, what: string): string {
  if (name === '') throw new Error(`${what} must not be empty`)
  if (new RegExp(BAD_JETSTREAM_NAME_CHAR.source, 'u').test(name)) {
    throw new Error(`${what} must not contain whitespace, '.', '*', '>', '/', '\\' or control characters`)
  }
  return name
}

/**
 * The default durable consumer name of a route: `export-<nats_topic>` with every character a
 * consumer name cannot hold replaced by '_' (`export-channels_*_>` would be rejected by the server).
 */
export function defaultDurable(natsTopic: string): string {
  return `export-${natsTopic.replace(BAD_JETSTREAM_NAME_CHAR, '_')}`
}

/** Whether an `mqtt_topic` has the Mainflux shape `channels/<id>/messages[/…]`. */
export function isMainfluxTopic(topic: string): boolean {
  return /^channels\/[^/]+\/messages(\/.*)?$/.test(topic)
}
