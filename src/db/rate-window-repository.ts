/**
 * The request windows every Leadgrid process shares per CRM account (migration 012). A slot is taken
 * with one INSERT … ON CONFLICT DO UPDATE: the row lock orders concurrent takers and the WHERE is
 * re-evaluated on the newest row, so the count can never pass `max`, whatever the number of
 * processes.
 *
 * The one exception to "time is injected": slots are stamped with the database's clock
 * (`clock_timestamp()`, read once the row lock is held). It is the only clock every process shares —
 * no skew between machines — and the stamp is taken after any wait for a pooled connection or for
 * the row lock, so it is at most one return trip earlier than the request it admits. A stamp from the
 * asking process's clock, taken before those waits, let a busy machine send max + 1 requests inside
 * one CRM window (the test in test/integration/shared-rate-windows.test.ts caught it).
 */
import { sql } from 'kysely'
import type { Db } from './database.js'

export interface RateWindowKey {
  provider: string
  accountId: string
  /** The provider's separate budgets: 'api', 'search'. */
  window: string
}

export type SlotAnswer = { granted: true } | { granted: false; retryInMs: number }

/** Epoch milliseconds by the database's clock, at the moment the expression is evaluated. */
const dbNowMs = sql<number>`(extract(epoch FROM clock_timestamp()) * 1000)::bigint`

/**
 * Takes one request slot in the shared window (`max` requests per `intervalMs`), or says how long
 * until one may free up.
 */
export async function takeRateSlot(
  db: Db,
  key: RateWindowKey,
  opts: { max: number; intervalMs: number },
): Promise<SlotAnswer> {
  const max = Math.floor(opts.max)
  const intervalMs = Math.ceil(opts.intervalMs)
  // Starts are dropped only past twice the window: another process may count over a longer window
  // (the Pipedrive limit it has learnt may differ for a moment, or its margin).
  const taken = await sql<{ ok: boolean }>`
    INSERT INTO crm_rate_windows AS w (provider, account_id, window_name, starts)
    VALUES (${key.provider}, ${key.accountId}, ${key.window}, ARRAY[${dbNowMs}])
    ON CONFLICT (provider, account_id, window_name) DO UPDATE
    SET starts = ARRAY(
                   SELECT s FROM unnest(w.starts) AS s WHERE s > ${dbNowMs} - 2 * ${intervalMs}::bigint ORDER BY s
                 ) || ${dbNowMs}
    WHERE w.paused_until <= ${dbNowMs}
      AND (SELECT count(*) FROM unnest(w.starts) AS s WHERE s > ${dbNowMs} - ${intervalMs}::bigint) < ${max}
    RETURNING true AS ok`.execute(db)
  if (taken.rows.length > 0) return { granted: true }
  const row = await sql<{
    starts: (string | number)[]
    paused_until: string | number
    now_ms: string | number
  }>`
    SELECT starts, paused_until, ${dbNowMs} AS now_ms FROM crm_rate_windows
    WHERE provider = ${key.provider} AND account_id = ${key.accountId} AND window_name = ${key.window}`.execute(
    db,
  )
  const r = row.rows[0]
  if (!r) return { granted: false, retryInMs: 1 }
  const now = Number(r.now_ms)
  const pausedUntil = Number(r.paused_until)
  if (pausedUntil > now) return { granted: false, retryInMs: pausedUntil - now }
  const live = r.starts
    .map(Number)
    .filter((s) => s > now - intervalMs)
    .sort((a, b) => a - b)
  // The slot frees when enough of the oldest starts have left the window for one more to fit.
  const freeing = live[live.length - max]
  return { granted: false, retryInMs: freeing === undefined ? 1 : Math.max(1, freeing + intervalMs - now) }
}

/** Nothing starts in this window, in any process, for the next `forMs` (a 429, a spent budget). */
export async function pauseRateWindow(db: Db, key: RateWindowKey, forMs: number): Promise<void> {
  const ms = Math.max(0, Math.ceil(forMs))
  await sql`
    INSERT INTO crm_rate_windows AS w (provider, account_id, window_name, paused_until)
    VALUES (${key.provider}, ${key.accountId}, ${key.window}, ${dbNowMs} + ${ms}::bigint)
    ON CONFLICT (provider, account_id, window_name) DO UPDATE
    SET paused_until = GREATEST(w.paused_until, EXCLUDED.paused_until)`.execute(db)
}
