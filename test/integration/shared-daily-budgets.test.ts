/**
 * Pipedrive's daily token budget shared through the database (issue 9, item 5): two registries of
 * Pipedrive limits standing for two worker processes — each with its own connection pool on the
 * PostgreSQL server — never spend more than the day's allowance together, and a "budget spent" 429
 * met by one stops the other before it sends anything. The budget's SQL runs on embedded PGlite too.
 */
import { sql } from 'kysely'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { createPipedriveClient } from '../../src/crm/pipedrive/client.js'
import { PipedriveApiError } from '../../src/crm/pipedrive/errors.js'
import { createPipedriveRateLimits } from '../../src/crm/pipedrive/rate-limits.js'
import { createSharedDailyBudgets } from '../../src/crm/shared-daily-budgets.js'
import { dailySpend } from '../../src/db/daily-budget-repository.js'
import { createKysely, type DatabaseHandle, type Db } from '../../src/db/database.js'
import { createLogger } from '../../src/logger.js'
import { createTestDatabase } from '../helpers/test-database.js'

let database: DatabaseHandle
let second: { db: Db; destroy(): Promise<void> }
beforeAll(async () => {
  database = await createTestDatabase()
  // A second pool on the server, as a second process would have; on PGlite its one connection.
  if (database.embedded) second = { db: database.db, destroy: async () => {} }
  else {
    const { db } = createKysely(database.connectionString, 2)
    second = { db, destroy: () => db.destroy() }
  }
})
afterAll(async () => {
  await second?.destroy()
  await database?.close()
})
afterEach(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

const logger = createLogger('silent')
const DAY_MS = 86_400_000
/** Lite × 1 seat: 30,000 tokens a day, of which Leadgrid takes 95 %. */
const LITE_ALLOWANCE = 28_500

/** One process's registry of Pipedrive limits, on its own pool. */
function limitsOn(db: Db) {
  return createPipedriveRateLimits({
    budgetOf: () => ({ plan: 'lite', seats: 1 }),
    sharedBudgets: createSharedDailyBudgets({ db, logger }),
  })
}

it("two processes together never spend more than the company's day", async () => {
  const a = limitsOn(database.db).forCompany('company-1').budget
  const b = limitsOn(second.db).forCompany('company-1').budget
  // Searches cost 40 tokens: 712 fit in 28,500. Each process alone would grant all 712 of its own.
  let granted = 0
  const drain = async (budget: typeof a) => {
    for (;;) {
      const blocked = await budget.take('search')
      if (blocked > 0) {
        expect(blocked).toBeLessThanOrEqual(DAY_MS)
        return
      }
      granted++
    }
  }
  // Several callers per process, as the flushes of one company's connections would be.
  await Promise.all([drain(a), drain(a), drain(b), drain(b)])
  expect(granted).toBe(Math.floor(LITE_ALLOWANCE / 40))
  expect(await dailySpend(database.db, { provider: 'pipedrive', accountId: 'company-1' })).toEqual({
    spent: 712 * 40,
    exhausted: false,
  })
  // 20 tokens are left: two updates fit, one from each process; then the day is shut for both.
  expect(await a.take('update')).toBe(0)
  expect(await b.take('update')).toBe(0)
  expect(await b.take('get')).toBeGreaterThan(0)
  expect(await a.take('get')).toBeGreaterThan(0)
})

it('keeps companies apart: one company spending its day does not stop another', async () => {
  const spent = limitsOn(database.db).forCompany('company-2').budget
  await spent.markExhausted()
  expect(await spent.take('get')).toBeGreaterThan(0)
  expect(await limitsOn(second.db).forCompany('company-3').budget.take('get')).toBe(0)
})

it('a new UTC day starts the count afresh, and lifts a refusal', async () => {
  const budget = limitsOn(database.db).forCompany('company-4').budget
  await budget.markExhausted()
  expect(await budget.take('get')).toBeGreaterThan(0)
  // As if that refusal and spend were yesterday's (the day is the database's clock, not ours).
  await sql`UPDATE crm_daily_budgets SET day = day - 1, spent = 28000 WHERE account_id = 'company-4'`.execute(
    database.db,
  )
  expect(await limitsOn(second.db).forCompany('company-4').budget.take('update')).toBe(0)
  expect(await dailySpend(database.db, { provider: 'pipedrive', accountId: 'company-4' })).toEqual({
    spent: 10,
    exhausted: false,
  })
})

it("Pipedrive's 'budget spent' 429 met by one process stops the other before it sends", async () => {
  const API = 'https://acme-sandbox.pipedrive.test'
  nock.disableNetConnect()
  // The server is reached over TCP by pg, not through http: only HTTP is closed to the network here.
  nock.enableNetConnect(/127\.0\.0\.1|localhost/)
  const clientOn = (db: Db) =>
    createPipedriveClient({
      companyId: 'company-5',
      apiDomain: API,
      accessToken: () => 'tok',
      // The plan is unknown in production: only Pipedrive's refusal tells the day is spent.
      limits: createPipedriveRateLimits({ sharedBudgets: createSharedDailyBudgets({ db, logger }) }),
      retry: { maxAttempts: 2, baseDelayMs: 1 },
    })
  // Room left in the burst window: the daily budget is what refused the call.
  const refused = nock(API)
    .patch('/api/v2/persons/8')
    .reply(
      429,
      { success: false },
      { 'x-ratelimit-limit': '80', 'x-ratelimit-remaining': '79', 'x-ratelimit-reset': '2' },
    )
  const first = await clientOn(database.db)
    .updatePersonFields(8, { a: 1 })
    .catch((e: unknown) => e)
  expect(refused.isDone()).toBe(true)
  expect(first).toBeInstanceOf(PipedriveApiError)
  expect((first as PipedriveApiError).dailyBudgetSpent).toBe(true)
  // The other process has no interceptor left: a request would fail with a network error instead.
  const other = await clientOn(second.db)
    .getPerson(9)
    .catch((e: unknown) => e)
  expect(other).toBeInstanceOf(PipedriveApiError)
  expect((other as PipedriveApiError).dailyBudgetSpent).toBe(true)
  expect((other as PipedriveApiError).retryAfterMs).toBeGreaterThan(0)
  expect((other as PipedriveApiError).retryAfterMs).toBeLessThanOrEqual(DAY_MS)
})
