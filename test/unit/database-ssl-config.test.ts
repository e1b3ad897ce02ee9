/**
 * TLS to DATABASE_URL (issue 6, item 15): Heroku Postgres requires TLS with a certificate no public
 * CA signs, so `require` must encrypt without verifying, `verify-full` must verify, and a value pg
 * cannot honour is refused at start with a message naming the variable.
 */
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, pgSslOption } from '../../src/config.js'
import { createKysely } from '../../src/db/database.js'

const URL = 'postgres://u:p@db.example.com:5432/app'

describe('database TLS settings', () => {
  it('leaves TLS to DATABASE_URL when neither DATABASE_SSL nor PGSSLMODE is set', () => {
    expect(loadConfig({ DATABASE_URL: URL }).databaseSsl).toBeUndefined()
    expect(pgSslOption(undefined)).toBeUndefined()
  })

  it('reads PGSSLMODE, and DATABASE_SSL wins over it', () => {
    expect(loadConfig({ DATABASE_URL: URL, PGSSLMODE: 'require' }).databaseSsl).toBe('require')
    expect(
      loadConfig({ DATABASE_URL: URL, PGSSLMODE: 'require', DATABASE_SSL: 'verify-full' }).databaseSsl,
    ).toBe('verify-full')
  })

  it('maps require to an encrypted, unverified connection (Heroku) and verify-full to a verified one', () => {
    expect(pgSslOption('require')).toEqual({ rejectUnauthorized: false })
    expect(pgSslOption('no-verify')).toEqual({ rejectUnauthorized: false })
    expect(pgSslOption('verify-full')).toEqual({ rejectUnauthorized: true })
    expect(pgSslOption('verify-ca')).toMatchObject({ rejectUnauthorized: true })
    expect(pgSslOption('disable')).toBe(false)
  })

  it('gives the pool the TLS setting', async () => {
    const { db, pool } = createKysely(URL, 1, pgSslOption('require'))
    expect(pool.options.ssl).toEqual({ rejectUnauthorized: false })
    await db.destroy()
  })

  it.each([
    [
      { DATABASE_SSL: 'yes' },
      /DATABASE_SSL: must be one of disable, no-verify, require, verify-ca, verify-full/,
    ],
    [{ PGSSLMODE: 'prefer' }, /PGSSLMODE: "prefer" is not supported/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig({ DATABASE_URL: URL, ...env })).toThrow(ConfigError)
    expect(() => loadConfig({ DATABASE_URL: URL, ...env })).toThrow(message)
  })
})

describe('PGSSLMODE in embedded mode', () => {
  it('is ignored: the embedded database is a local Unix socket', () => {
    const c = loadConfig({ PGSSLMODE: 'prefer' })
    expect(c.embeddedDatabase).toBe(true)
    expect(c.databaseSsl).toBeUndefined()
  })
})
