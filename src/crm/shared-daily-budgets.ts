/**
 * The CRM daily budgets shared by every Leadgrid process of a deployment, over PostgreSQL
 * (src/db/daily-budget-repository.ts). A provider's rate limits take it as an injected
 * `SharedDailyBudgets`, so adapters still never touch the database themselves.
 *
 * Built only in server mode (src/runtime.ts), for the reasons shared-rate-windows.ts gives: embedded
 * PGlite is one process, where the in-memory count is already exact, and its single connection must
 * never be awaited from inside a transaction.
 */
import type { Logger } from 'pino'
import { exhaustDailyBudget, takeDailyBudget } from '../db/daily-budget-repository.js'
import type { Db } from '../db/database.js'
import type { SharedDailyBudgets } from './daily-budget.js'

const DAY_MS = 86_400_000

export function createSharedDailyBudgets(deps: { db: Db; logger: Pick<Logger, 'warn'> }): SharedDailyBudgets {
  const { db, logger } = deps
  return {
    take: (key, cost, allowance) => takeDailyBudget(db, key, cost, allowance),
    async exhaust(key) {
      try {
        return await exhaustDailyBudget(db, key)
      } catch (err) {
        // The caller still stops (the CRM said the budget is gone); other processes learn from their
        // own 429 instead. The local clock's midnight is close enough for a retry delay.
        logger.warn({ err, provider: key.provider }, 'shared daily budget exhaustion not stored')
        return DAY_MS - (Date.now() % DAY_MS)
      }
    },
  }
}
