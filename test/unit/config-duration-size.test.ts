import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  formatDuration,
  formatSize,
  parseDuration,
  parseSize,
} from '../../src/config/index.js'

void describe('parseDuration', () => {
  const cases: Array<[unknown, number]> = [
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['7d', 604_800_000],
    ['12h', 43_200_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['0', 0],
    ['0s', 0],
    ['30', 30_000],
    ['2.5', 2500],
    [' 10s ', 10_000],
    [30, 30_000],
    [0.25, 250],
    ['1500us', 2],
    ['1000000ns', 1],
    ['.5s', 500],
  ]
  for (const [input, ms] of cases) {
    void it(`reads ${JSON.stringify(input)} as ${ms} ms`, () => {
      assert.equal(parseDuration(input, 'keep_alive'), ms)
    })
  }

  const garbage: unknown[] = ['', 'abc', '10x', 's10', '-5s', '10 s', '1h-30m', '10S', true, null, -1, Number.NaN, [], {}]
  for (const input of garbage) {
    void it(`rejects ${JSON.stringify(input) ?? String(input)} with a message naming the setting`, () => {
      assert.throws(() => parseDuration(input, '[store] max_age'), {
        message: /^\[store\] max_age: expected a duration such as "500ms"/,
      })
    })
  }

  void it('quotes the value it found in the message', () => {
    assert.throws(() => parseDuration('soon', 'MF_EXPORT_STORE_MAX_AGE'), {
      message: 'MF_EXPORT_STORE_MAX_AGE: expected a duration such as "500ms", "10s", "1h30m" or "7d" (a bare number means seconds), found "soon"',
    })
  })
})

void describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [10_000, '10s'],
    [604_800_000, '7d'],
    [5_400_000, '1h30m'],
    [500, '500ms'],
    [61_500, '1m1s500ms'],
    [93_784_005, '1d2h3m4s5ms'],
  ]
  for (const [ms, text] of cases) {
    void it(`writes ${ms} ms as "${text}", which reads back the same`, () => {
      assert.equal(formatDuration(ms), text)
      assert.equal(parseDuration(text, 'x'), ms)
    })
  }
})

void describe('parseSize', () => {
  const cases: Array<[unknown, number]> = [
    [1_048_576, 1_048_576],
    ['1048576', 1_048_576],
    ['512MiB', 512 * 1024 ** 2],
    ['1GiB', 1024 ** 3],
    ['1 GiB', 1024 ** 3],
    ['10KiB', 10_240],
    ['10kib', 10_240],
    ['100MB', 100_000_000],
    ['100mb', 100_000_000],
    ['1GB', 1_000_000_000],
    ['10k', 10_000],
    ['10K', 10_000],
    ['2TiB', 2 * 1024 ** 4],
    ['1.5KiB', 1536],
    ['0', 0],
    ['64B', 64],
  ]
  for (const [input, bytes] of cases) {
    void it(`reads ${JSON.stringify(input)} as ${bytes} bytes`, () => {
      assert.equal(parseSize(input), bytes)
    })
  }

  for (const input of ['', 'lots', '10XB', '-1', '1.5.5GiB', 'GiB', -5, 1.5, true, null]) {
    void it(`rejects ${JSON.stringify(input)} with a message naming the setting`, () => {
      assert.throws(() => parseSize(input, '[store] max_bytes'), {
        message: /^\[store\] max_bytes: expected a size in bytes or with a unit/,
      })
    })
  }
})

void describe('formatSize', () => {
  const cases: Array<[number, string]> = [
    [1024 ** 3, '1GiB'],
    [512 * 1024 ** 2, '512MiB'],
    [10_240, '10KiB'],
    [100_000_000, '100MB'],
    [1_000_000_000, '1GB'],
    [1234, '1234'],
    [0, '0'],
    [2_048_000_000, '2048MB'],
  ]
  for (const [bytes, text] of cases) {
    void it(`writes ${bytes} bytes as "${text}", which reads back the same`, () => {
      assert.equal(formatSize(bytes), text)
      assert.equal(parseSize(text), bytes)
    })
  }
})
