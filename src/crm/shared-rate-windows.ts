/**
 * The CRM request windows shared by every Leadgrid process of a deployment, over PostgreSQL
 * (src/db/rate-window-repository.ts, migration 012). The rate limiters (hubspot/rate-limits.ts,
 * pipedrive/rate-limits.ts) take it as an injected `SharedRateWindows`, so adapters still
 * never touch the database themselves.
 *
 * Built only in server mode (src/runtime.ts): embedded PGlite is one process by design, where the
 * in-memory window is already exact, and its single connection must never be awaited from inside a
 * transaction — which a limiter called during a locked token refresh would do.
 */
import type { Logger } from 'pino'
import type { Db } from '../db/database.js'
import { pauseRateWindow, takeRateSlot } from '../db/rate-window-repository.js'
import type { SharedRateWindows } from './rate-limiter.js'

export function createSharedRateWindows(deps: { db: Db; logger: Pick<Logger, 'warn'> }): SharedRateWindows {
  const { db, logger } = deps
  return {
    take: (key, opts) => takeRateSlot(db, key, opts),
    pause(key, forMs) {
      pauseRateWindow(db, key, forMs).catch((err: unknown) => {
        // The process's own pause still holds; other processes learn from their own 429 instead.
        logger.warn({ err, provider: key.provider, window: key.window }, 'shared rate-limit pause not stored')
      })
    },
  }
}
