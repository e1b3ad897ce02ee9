import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

describe('configuration', () => {
  it('starts with no environment at all: embedded database, port 3000, local URL', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      PORT: 3000,
      embeddedDatabase: true,
      DATA_DIR: './data',
      ROLE: 'all',
      PUBLIC_URL: 'http://localhost:3000',
    })
    expect(Object.isFrozen(c)).toBe(true)
  })

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ PUBLIC_URL: 'not a url' }, /PUBLIC_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ ENCRYPTION_KEY: 'short' }, /ENCRYPTION_KEY: must be 32 bytes/],
    [{ ROLE: 'web' }, /ROLE: the embedded database serves one process/],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' }, /ENCRYPTION_KEY: required in production/],
    [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY: must be true, false, a hop count/],
    [{ TRUST_PROXY: '10.0.0.0/8, not-an-ip' }, /TRUST_PROXY: .*"not-an-ip"/],
    [{ TRUST_PROXY: '10.0.0.1/33' }, /TRUST_PROXY/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  it('trusts no proxy by default; TRUST_PROXY takes true, a hop count or addresses/CIDRs', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true)
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1,loopback' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
      'loopback',
    ])
  })

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).embeddedDatabase).toBe(true)
  })
})
