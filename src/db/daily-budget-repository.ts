/**
 * The daily CRM budgets every Leadgrid process shares per CRM account (migration 017). A call's cost
 * is taken with one INSERT … ON CONFLICT DO UPDATE whose WHERE says "the cost still fits today": the
 * row lock orders concurrent takers and the WHERE is re-evaluated on the newest row, so the day's
 * spend never passes the allowance, whatever the number of processes.
 *
 * The day is the database's (`clock_timestamp()` in UTC), for the reason rate-window-repository.ts
 * gives: it is the one clock every process shares. A taker that read the clock just before midnight
 * but got the row lock after another one opened the new day never drags the row back a day
 * (GREATEST): its cost goes to the newer day.
 */
import { sql } from 'kysely'
import type { Db } from './database.js'

export interface DailyBudgetKey {
  provider: string
  accountId: string
}

export type BudgetAnswer = { granted: true } | { granted: false; resetInMs: number }

/** The database's clock in UTC, read once per statement. */
const clock = sql`SELECT clock_timestamp() AT TIME ZONE 'UTC' AS t`
/** Milliseconds from the statement's clock reading to the next UTC midnight. */
const untilMidnightMs = sql<number>`(extract(epoch FROM date_trunc('day', clock.t) + interval '1 day' - clock.t) * 1000)::bigint`

/**
 * Charges `cost` tokens to the account's budget of today, if they fit in `allowance` (null: the
 * allowance is unknown, only a CRM refusal stops the day) and the CRM has not refused today's budget.
 */
export async function takeDailyBudget(
  db: Db,
  key: DailyBudgetKey,
  cost: number,
  allowance: number | null,
): Promise<BudgetAnswer> {
  const c = Math.max(0, Math.ceil(cost))
  const max = allowance === null || !Number.isFinite(allowance) ? null : Math.floor(allowance)
  const result = await sql<{ granted: boolean; reset_in_ms: string | number }>`
    WITH clock AS (${clock}),
    taken AS (
      INSERT INTO crm_daily_budgets AS b (provider, account_id, day, spent)
      SELECT ${key.provider}, ${key.accountId}, clock.t::date, ${c}::bigint FROM clock
      WHERE ${max}::bigint IS NULL OR ${c}::bigint <= ${max}::bigint
      ON CONFLICT (provider, account_id) DO UPDATE
      SET spent = CASE WHEN EXCLUDED.day > b.day THEN 0 ELSE b.spent END + EXCLUDED.spent,
          exhausted = b.exhausted AND EXCLUDED.day <= b.day,
          day = GREATEST(b.day, EXCLUDED.day)
      WHERE EXCLUDED.day > b.day
         OR (NOT b.exhausted AND (${max}::bigint IS NULL OR b.spent + EXCLUDED.spent <= ${max}::bigint))
      RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM taken) AS granted, ${untilMidnightMs} AS reset_in_ms FROM clock`.execute(db)
  const row = result.rows[0]
  if (row?.granted) return { granted: true }
  return { granted: false, resetInMs: Math.max(1, Number(row?.reset_in_ms ?? 1)) }
}

/**
 * The CRM refused a call for its daily budget: nothing more is taken from it, in any process, until
 * the next UTC midnight. Resolves to the milliseconds until then.
 */
export async function exhaustDailyBudget(db: Db, key: DailyBudgetKey): Promise<number> {
  const result = await sql<{ reset_in_ms: string | number }>`
    WITH clock AS (${clock}),
    marked AS (
      INSERT INTO crm_daily_budgets AS b (provider, account_id, day, exhausted)
      SELECT ${key.provider}, ${key.accountId}, clock.t::date, true FROM clock
      ON CONFLICT (provider, account_id) DO UPDATE
      SET spent = CASE WHEN EXCLUDED.day > b.day THEN 0 ELSE b.spent END,
          exhausted = true,
          day = GREATEST(b.day, EXCLUDED.day)
      RETURNING 1
    )
    SELECT ${untilMidnightMs} AS reset_in_ms FROM clock`.execute(db)
  return Math.max(1, Number(result.rows[0]?.reset_in_ms ?? 1))
}

/** What the account spent today, by the database's day (tests and operators). */
export async function dailySpend(
  db: Db,
  key: DailyBudgetKey,
): Promise<{ spent: number; exhausted: boolean }> {
  const result = await sql<{ spent: string | number; exhausted: boolean }>`
    SELECT spent, exhausted FROM crm_daily_budgets
    WHERE provider = ${key.provider} AND account_id = ${key.accountId}
      AND day = (clock_timestamp() AT TIME ZONE 'UTC')::date`.execute(db)
  const row = result.rows[0]
  return row ? { spent: Number(row.spent), exhausted: row.exhausted } : { spent: 0, exhausted: false }
}
