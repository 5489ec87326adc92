import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { renderConfig } from '../helpers/mosquitto.js'

describe('mosquitto config', () => {
  const base = { port: 1884, tlsPort: undefined, dir: '/tmp/d', passwordFile: undefined, aclFile: undefined }

  it('allows anonymous clients only without users, and lifts the broker queue limits', () => {
    const open = renderConfig(base)
    assert.match(open, /^allow_anonymous true$/m)
    assert.match(open, /^listener 1884 127\.0\.0\.1$/m)
    for (const line of ['max_inflight_messages 0', 'max_queued_messages 0', 'max_queued_bytes 0', 'persistence false']) {
      assert.match(open, new RegExp(`^${line}$`, 'm'))
    }
    const closed = renderConfig({ ...base, passwordFile: '/tmp/d/passwords', aclFile: '/tmp/d/acl' })
    assert.match(closed, /^allow_anonymous false$/m)
    assert.match(closed, /^password_file \/tmp\/d\/passwords$/m)
    assert.match(closed, /^acl_file \/tmp\/d\/acl$/m)
  })
})
