import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TransformError } from '../../src/errors.js'
import { decodeMainfluxMessage, encodeMainfluxMessage } from '../../src/route/mfx.js'
import { transformFor } from '../../src/route/transform.js'

describe('mfx transform', () => {
  const payload = Buffer.from('[{"bn":"dev1:","n":"temp","v":21.5}]')
  const encoded = encodeMainfluxMessage({ channel: 'c1', subtopic: 'temp', publisher: 'thing-1', protocol: 'mqtt', payload, created: 1_700_000_000_000_000_000 })

  it('extracts field 5 byte for byte', () => {
    assert.deepEqual(transformFor('mfx')(encoded), payload)
    const decoded = decodeMainfluxMessage(encoded)
    assert.equal(decoded.channel, 'c1')
    assert.equal(decoded.publisher, 'thing-1')
  })

  it('returns a copy that does not alias the NATS buffer', () => {
    const buf = Buffer.from(encoded)
    const out = transformFor('mfx')(buf)
    buf.fill(0)
    assert.deepEqual(out, payload)
  })

  it('rejects bytes that are not a Mainflux message', () => {
    for (const bad of [Buffer.from('not protobuf at all'), Buffer.from('{"v":1}'), Buffer.from([0xff, 0xff, 0xff]), Buffer.alloc(0)]) {
      assert.throws(() => transformFor('mfx')(bad), TransformError, `accepted ${bad.toString('hex')}`)
    }
  })

  it('passes a default route payload through unchanged', () => {
    const raw = Buffer.from('anything at all')
    assert.deepEqual(transformFor('default')(raw), raw)
  })
})
