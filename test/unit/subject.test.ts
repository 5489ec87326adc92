import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { subscriptionSubject } from '../../src/route/subject.js'

describe('subscription subject', () => {
  it('subscribes to <nats_topic>.> for a plain topic', () => {
    assert.equal(subscriptionSubject('export'), 'export.>')
    assert.equal(subscriptionSubject('channels.*.messages'), 'channels.*.messages.>')
  })

  it('subscribes to the topic itself when it is > or ends in >', () => {
    assert.equal(subscriptionSubject('>'), '>')
    assert.equal(subscriptionSubject('channels.>'), 'channels.>')
  })
})
