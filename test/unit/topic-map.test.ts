import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TopicMap } from '../../src/route/topic-map.js'

describe('topic mapping', () => {
  it('inserts the subtopic and turns every dot of the subject into a slash', () => {
    const map = new TopicMap('channels/c1/messages', 'gw')
    assert.equal(map.topicFor('export.temp.room1'), 'channels/c1/messages/gw/export/temp/room1')
  })

  it('leaves out the subtopic part when the subtopic is empty', () => {
    const map = new TopicMap('channels/c1/messages', '')
    assert.equal(map.topicFor('export.temp'), 'channels/c1/messages/export/temp')
  })

  it('does not double a trailing slash of mqtt_topic', () => {
    assert.equal(new TopicMap('channels/c1/messages/', '').topicFor('a.b'), 'channels/c1/messages/a/b')
  })

  it('gives the same answer from its cache and after the cache is cleared', () => {
    const map = new TopicMap('t', '', 2)
    const first = ['a.b', 'c.d', 'e.f'].map((s) => map.topicFor(s))
    const again = ['a.b', 'c.d', 'e.f'].map((s) => map.topicFor(s))
    assert.deepEqual(again, first)
    assert.deepEqual(first, ['t/a/b', 't/c/d', 't/e/f'])
  })
})
