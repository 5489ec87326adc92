/**
 * Subjects on which the Mainflux Agent announces a saved config (SPEC §7): Agents of the seed's
 * time publish on the first, later ones through their messaging layer on the second.
 *
 * They are commands to this service, not data: a route whose subject matches them (`channels`,
 * `>`) must not export them to the cloud. Neither must it export our own heartbeat.
 */
export const RELOAD_SUBJECTS: readonly string[] = ['commands.export.config', 'channels.commands.export.config']

/** Our own heartbeat in the newest Agents' form (see heartbeat.ts), which a `channels` route matches. */
const OWN_HEARTBEAT_SUBJECT = 'channels.heartbeat.export.service'

export function isControlSubject(subject: string): boolean {
  return subject === RELOAD_SUBJECTS[0] || subject === RELOAD_SUBJECTS[1] || subject === OWN_HEARTBEAT_SUBJECT
}
