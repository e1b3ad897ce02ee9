/**
 * The contention retry (src/db/retry-transaction.ts) on a real database: a transaction PostgreSQL
 * aborts with a deadlock (40P01) or a serialization failure (40001) is run again whole, its first
 * attempt leaving nothing behind; any other error is not retried; a transaction that never gets
 * through ends as Busy, which the API answers with 503 and Retry-After.
 */
import Fastify from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../src/db/database.js'
import { transactionWithRetry } from '../../src/db/retry-transaction.js'
import { Busy } from '../../src/errors.js'
import { installErrorHandler } from '../../src/http/error-handler.js'
import { createTestDatabase } from '../helpers/test-database.js'

let database: DatabaseHandle
beforeAll(async () => {
  database = await createTestDatabase()
  await sql`CREATE TABLE retry_probe (attempt integer NOT NULL)`.execute(database.db)
})
afterAll(async () => {
  await database?.close()
})

/** Raises exactly what PostgreSQL raises when it breaks a deadlock or a serialization conflict. */
function raise(sqlstate: string) {
  return sql`DO $$ BEGIN RAISE EXCEPTION 'forced for the test' USING ERRCODE = '${sql.raw(sqlstate)}'; END $$`
}

async function probeRows(): Promise<number[]> {
  const rows = await sql<{ attempt: number }>`SELECT attempt FROM retry_probe ORDER BY attempt`.execute(
    database.db,
  )
  return rows.rows.map((r) => r.attempt)
}

it.each(['40P01', '40001'])(
  're-runs the whole transaction after %s; the failed attempt leaves nothing',
  async (code) => {
    await sql`DELETE FROM retry_probe`.execute(database.db)
    let attempts = 0
    const result = await transactionWithRetry(
      database.db,
      async (trx) => {
        attempts++
        await sql`INSERT INTO retry_probe (attempt) VALUES (${attempts})`.execute(trx)
        if (attempts === 1) await raise(code).execute(trx)
        return 'stored'
      },
      { baseDelayMs: 1 },
    )
    expect(result).toBe('stored')
    expect(attempts).toBe(2)
    expect(await probeRows()).toEqual([2])
  },
)

it('does not retry any other error', async () => {
  await sql`DELETE FROM retry_probe`.execute(database.db)
  let attempts = 0
  const failing = transactionWithRetry(
    database.db,
    async (trx) => {
      attempts++
      await sql`INSERT INTO retry_probe (attempt) VALUES (${attempts})`.execute(trx)
      await raise('23505').execute(trx)
    },
    { baseDelayMs: 1 },
  )
  await expect(failing).rejects.toMatchObject({ code: '23505' })
  expect(attempts).toBe(1)
  expect(await probeRows()).toEqual([])
})

it('gives up after the bounded attempts with Busy (503 and a retry hint), nothing stored', async () => {
  await sql`DELETE FROM retry_probe`.execute(database.db)
  let attempts = 0
  const failing = transactionWithRetry(
    database.db,
    async (trx) => {
      attempts++
      await sql`INSERT INTO retry_probe (attempt) VALUES (${attempts})`.execute(trx)
      await raise('40P01').execute(trx)
    },
    { attempts: 3, baseDelayMs: 1 },
  )
  const err = await failing.catch((e: unknown) => e)
  expect(err).toBeInstanceOf(Busy)
  expect(err).toMatchObject({ statusCode: 503, code: 'busy', retryAfterSeconds: 1 })
  expect(attempts).toBe(3)
  expect(await probeRows()).toEqual([])
})

it('a sender whose request gave up on contention gets 503 with Retry-After, not a 500', async () => {
  const app = Fastify()
  installErrorHandler(app)
  app.post('/contended', async () => {
    throw new Busy()
  })
  const res = await app.inject({ method: 'POST', url: '/contended' })
  await app.close()
  expect(res.statusCode).toBe(503)
  expect(res.headers['retry-after']).toBe('1')
  expect(res.json().error).toMatchObject({ code: 'busy' })
  expect(res.json().error.message).toMatch(/stored nothing; retry/)
})
