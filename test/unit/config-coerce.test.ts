import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { coerceBoolean, coerceChoice, coerceInteger, coerceString } from '../../src/config/index.js'

void describe('value coercion', () => {
  void it('reads booleans from booleans, 1/0 and the words true, false, yes, no, 1, 0 in any case', () => {
    for (const yes of [true, 1, 'true', 'TRUE', ' True ', '1', 'yes', 'Yes']) assert.equal(coerceBoolean(yes, 'x'), true)
    for (const no of [false, 0, 'false', 'False', '0', 'no', 'NO']) assert.equal(coerceBoolean(no, 'x'), false)
  })

  void it('says what it expected and what it found when a boolean is not one', () => {
    assert.throws(() => coerceBoolean('maybe', '[mqtt] mtls'), { message: '[mqtt] mtls: expected true or false, found "maybe"' })
    assert.throws(() => coerceBoolean(2, '[mqtt] mtls'), { message: '[mqtt] mtls: expected true or false, found 2' })
  })

  void it('reads integers from numbers and decimal strings only', () => {
    assert.equal(coerceInteger(8170, 'x'), 8170)
    assert.equal(coerceInteger('8170', 'x'), 8170)
    assert.equal(coerceInteger(' -3 ', 'x'), -3)
    assert.equal(coerceInteger(12n, 'x'), 12)
    for (const bad of ['0x10', '1e3', '', '8.5', 8.5, true, [], {}]) {
      assert.throws(() => coerceInteger(bad, '[exp] port'), { message: /^\[exp\] port: expected an integer, found / })
    }
  })

  void it('checks integer bounds with a message giving the range and the value', () => {
    assert.throws(() => coerceInteger('12', 'priority', { min: 0, max: 9 }), { message: 'priority must be between 0 and 9, found 12' })
    assert.throws(() => coerceInteger(0, 'workers', { min: 1 }), { message: 'workers must be at least 1, found 0' })
  })

  void it('reads strings, taking numbers as their text and refusing tables', () => {
    assert.equal(coerceString('abc', 'x'), 'abc')
    assert.equal(coerceString(1234, 'x'), '1234')
    assert.throws(() => coerceString({ a: 1 }, '[mqtt] username'), { message: '[mqtt] username: expected a string, found a table' })
    assert.throws(() => coerceString([1], '[mqtt] username'), { message: '[mqtt] username: expected a string, found an array' })
  })

  void it('matches choices case-insensitively, with aliases, listing them when none matches', () => {
    assert.equal(coerceChoice('MFX', 'type', ['default', 'mfx'], { plain: 'default' }), 'mfx')
    assert.equal(coerceChoice('plain', 'type', ['default', 'mfx'], { plain: 'default' }), 'default')
    assert.throws(() => coerceChoice('json', 'type', ['default', 'mfx'], { plain: 'default' }), {
      message: 'type: expected "default", "mfx" or "plain", found "json"',
    })
  })
})
