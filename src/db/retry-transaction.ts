/**
 * Runs a whole transaction again when PostgreSQL aborts it for contention: a serialization failure
 * (40001) or a deadlock (40P01). Both roll the transaction back entirely, so re-running it from the
 * start is safe whenever the work itself is idempotent — ingestion is (event dedupe keys, identity
 * upserts), publish is (serialised per workspace), a rescore batch is (marks are only cleared by
 * the batch that scored them). Nothing else is retried: any other error is the caller's to handle.
 *
 * Attempts are bounded, with "full jitter" backoff (a random wait up to an exponentially growing
 * cap) so two transactions that collided do not collide again in step. When every attempt fails,
 * a Busy error (HTTP 503 with Retry-After) tells the sender that nothing was stored and to retry,
 * rather than a 500 that reads as a bug.
 */
import type { Transaction } from 'kysely'
import type { Logger } from 'pino'
import { Busy } from '../errors.js'
import type { Db } from './database.js'
import type { Database } from './schema.js'

/** SQLSTATEs after which the transaction was rolled back and may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01'])

export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && RETRYABLE.has(code)
}

export interface RetryOptions {
  /** Runs in total, the first included. */
  attempts?: number
  /** The first retry waits up to this; each further one up to twice as long. */
  baseDelayMs?: number
  logger?: Pick<Logger, 'warn'>
  /** Names the transaction in the log line of each retry. */
  label?: string
  /**
   * More SQLSTATEs after which this particular transaction is safe to run again (ingestion: a
   * foreign-key violation when a contact it resolved was merged away before its events went in).
   */
  alsoRetryOn?: string[]
}

export async function transactionWithRetry<T>(
  db: Db,
  work: (trx: Transaction<Database>) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5
  const baseDelayMs = options.baseDelayMs ?? 25
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work)
    } catch (err) {
      const retryable =
        isRetryableTransactionError(err) ||
        options.alsoRetryOn?.includes((err as { code?: string } | null)?.code ?? '') === true
      if (!retryable) throw err
      const code = (err as { code: string }).code
      if (attempt >= attempts) {
        options.logger?.warn(
          { err, label: options.label, attempts },
          'transaction still contended; giving up',
        )
        throw new Busy()
      }
      const delayMs = Math.round(Math.random() * baseDelayMs * 2 ** (attempt - 1))
      options.logger?.warn(
        { code, label: options.label, attempt, delayMs },
        'transaction aborted by contention; retrying',
      )
      await new Promise((resolve) => setTimeout(resolve, delayMs))
    }
  }
}
