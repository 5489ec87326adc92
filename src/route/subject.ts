/**
 * The NATS subject a route subscribes to (docs/configuration.md, `[[routes]]`): `<nats_topic>.>`, or the topic itself when it is
 * `>` or already ends in `>`.
 */
export function subscriptionSubject(natsTopic: string): string {
  if (natsTopic === '>' || natsTopic.endsWith('.>')) return natsTopic
  return `${natsTopic}.>`
}
