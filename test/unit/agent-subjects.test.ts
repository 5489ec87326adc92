import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isControlSubject } from '../../src/agent/subjects.js'

// The subjects are written out here on purpose: they are the Agent's, and a typo in
// src/agent/subjects.ts must fail a test rather than be compared with itself.
describe('the subjects of the Mainflux Agent', () => {
  it('treats the reload commands and our own channels heartbeat as control, not data', () => {
    for (const subject of ['commands.export.config', 'channels.commands.export.config', 'channels.heartbeat.export.service']) {
      assert.equal(isControlSubject(subject), true, subject)
    }
    for (const subject of ['channels.c1.messages', 'commands.export', 'channels.heartbeat.other.service']) {
      assert.equal(isControlSubject(subject), false, subject)
    }
  })
})
