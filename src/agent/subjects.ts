/**
 * The NATS subjects of the Mainflux Agent's side of the service, written once (docs/compatibility.md,
 * "Checked against the real Mainflux Agent").
 */

/** Agents up to 0.12 list a service by this subject alone: `heartbeat.<name>.service`. */
export const HEARTBEAT_SUBJECT = 'heartbeat.export.service'

/**
 * The newest Agents (mainflux/agent after 0.12, through their messaging layer) subscribe to
 * `channels.heartbeat.>` instead, decode a Mainflux protobuf message and take the service's name
 * from its `channel` field. Neither generation listens on the other's subject, so sending both
 * counts once in either.
 */
export const HEARTBEAT_CHANNEL_SUBJECT = `channels.${HEARTBEAT_SUBJECT}`

/**
 * Subjects on which the Agent announces a saved config: older Agents publish on the first, later
 * ones through their messaging layer on the second.
 */
export const RELOAD_SUBJECTS: readonly string[] = ['commands.export.config', 'channels.commands.export.config']

/**
 * Commands to this service are not data: a route whose subject matches them (`channels`, `>`) must
 * not export them to the cloud. Neither must it export our own heartbeat in the newest Agents'
 * form, which a `channels` route matches.
 */
const CONTROL_SUBJECTS: ReadonlySet<string> = new Set([...RELOAD_SUBJECTS, HEARTBEAT_CHANNEL_SUBJECT])

export function isControlSubject(subject: string): boolean {
  return CONTROL_SUBJECTS.has(subject)
}
