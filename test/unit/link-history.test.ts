import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { LinkHistory } from '../../src/status/link-history.js'

describe('the outage history of a link', () => {
  it('counts reconnects after a loss, not the first connect, and dates each outage', () => {
    let now = 1000
    const link = new LinkHistory(() => now)
    link.down('not there yet') // before the first connect: not an outage
    assert.deepEqual(link.report(), { reconnects: 0, since: undefined, outages: [] })
    link.up()
    assert.deepEqual(link.report(), { reconnects: 0, since: 1000, outages: [] })
    now = 5000
    link.down()
    link.noteCause('MQTT: connect ECONNREFUSED')
    link.noteCause('MQTT: later error') // the first cause stays
    assert.deepEqual(link.report().outages, [{ startedAt: 5000, endedAt: undefined, cause: 'MQTT: connect ECONNREFUSED' }])
    now = 8000
    link.up()
    link.up() // no second reconnect without a loss
    assert.deepEqual(link.report(), { reconnects: 1, since: 8000, outages: [{ startedAt: 5000, endedAt: 8000, cause: 'MQTT: connect ECONNREFUSED' }] })
    link.noteCause('after the outage') // no open outage: ignored
    assert.equal(link.report().outages[0]!.cause, 'MQTT: connect ECONNREFUSED')
  })

  it('keeps the last 20 outages, newest first', () => {
    let now = 0
    const link = new LinkHistory(() => now)
    link.up()
    for (let i = 1; i <= 25; i++) {
      now = i * 100
      link.down(`cut ${i}`)
      now += 10
      link.up()
    }
    const { outages, reconnects } = link.report()
    assert.equal(reconnects, 25)
    assert.equal(outages.length, 20)
    assert.equal(outages[0]!.cause, 'cut 25')
    assert.equal(outages[19]!.cause, 'cut 6')
  })
})
