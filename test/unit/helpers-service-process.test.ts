import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseLogLine } from '../helpers/service-process.js'

describe('parseLogLine', () => {
  it('parses JSON objects and leaves everything else to the raw lines', () => {
    assert.deepEqual(parseLogLine('{"level":"info","message":"up","ts":"2024-01-01T00:00:00Z"}'), {
      level: 'info',
      message: 'up',
      ts: '2024-01-01T00:00:00Z',
    })
    assert.equal(parseLogLine('{ broken'), undefined)
    assert.equal(parseLogLine('[1,2]'), undefined)
    assert.equal(parseLogLine('Error: boom'), undefined)
  })
})
