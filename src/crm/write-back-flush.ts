/**
 * The outbox flush, whatever the CRM: pending rows of one connection → batches of the provider's size
 * → what the CRM took is recorded as what it holds and cleared; what it refused is parked (visible,
 * retried on demand, never dropped); a retryable failure waits as long as the CRM asks and retries.
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { contactProfiles } from '../db/contact-repository.js'
import type { Db } from '../db/database.js'
import {
  type OutboxRow,
  parkOutboxRows,
  pendingOutboxRows,
  recordWrittenRows,
} from '../db/outbox-repository.js'
import { CrmError } from '../errors.js'
import type { JobQueue } from '../jobs/queue.js'
import type { ConnectionService } from './connection-service.js'
import type { CrmProviderRegistry } from './provider-registry.js'
import type { CrmWriteItem } from './types.js'

/** A row failing this many flushes in a row is parked (visible in the connection health). */
export const MAX_FLUSH_ATTEMPTS = 5
/** Rows per flush run; the job re-queues itself while more wait. */
export const FLUSH_ROWS = 1000

export interface WriteBackFlushDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  connections: Pick<ConnectionService, 'byId' | 'sessionFor' | 'recordError'>
  providers: CrmProviderRegistry
}

export function createWriteBackFlush(deps: WriteBackFlushDeps) {
  const { db, clock, logger, queue, connections, providers } = deps

  /** Writes pending outbox rows of one connection. Returns the number of contacts written. */
  async function flush(workspaceId: string, connectionId: string): Promise<number> {
    const connection = await connections.byId(workspaceId, connectionId)
    // Paused while the connection is not active: rows stay pending and visible, nothing is dropped.
    if (connection.status !== 'active') return 0
    const rows = await pendingOutboxRows(db, workspaceId, connectionId, FLUSH_ROWS)
    if (rows.length === 0) return 0
    const provider = providers.get(connection.provider)
    const byContact = new Map<string, OutboxRow>(rows.map((r) => [r.contactId, r]))
    let items: CrmWriteItem[] = rows.map((r) => ({
      contactId: r.contactId,
      crmId: r.crmId,
      properties: r.properties,
    }))
    if (provider.prepareWrites) {
      items = await provider.prepareWrites(connection, items, (ids) => contactProfiles(db, workspaceId, ids))
    }
    const session = connections.sessionFor(connection)
    const park = (ids: string[], message: string, force: boolean) =>
      parkOutboxRows(db, workspaceId, connectionId, ids, message, {
        force,
        maxAttempts: MAX_FLUSH_ATTEMPTS,
        now: clock.now(),
      })
    let written = 0

    async function send(chunk: CrmWriteItem[]): Promise<void> {
      let result: Awaited<ReturnType<typeof session.writeBatch>>
      try {
        result = await session.writeBatch(chunk)
      } catch (err) {
        if (!(err instanceof CrmError) || provider.isRevoked(err)) throw err
        if (provider.isBudgetSpent?.(err)) {
          // The CRM's daily allowance is gone: nothing is sent before it resets, and waiting is not a
          // failure of these rows (no attempt counted). The job is rescheduled below for retryAfterMs.
          await connections.recordError(connection, err.message)
          throw err
        }
        if (!err.retryable && chunk.length > 1) {
          // One invalid record can fail a whole batch: write the others one by one, park the culprit.
          for (const one of chunk) await send([one])
          return
        }
        await park(
          chunk.map((c) => c.contactId),
          err.message,
          !err.retryable,
        )
        await connections.recordError(connection, err.message)
        if (err.retryable) throw err
        return
      }
      for (const refusal of result.refused) {
        await park(
          refusal.items.map((i) => i.contactId),
          refusal.message,
          true,
        )
      }
      await db.transaction().execute((trx) =>
        recordWrittenRows(
          trx,
          workspaceId,
          connectionId,
          result.written.map((w) => ({
            contactId: w.contactId,
            version: byContact.get(w.contactId)!.version,
            properties: w.properties,
          })),
          clock.now(),
        ),
      )
      written += result.written.length
    }

    try {
      for (let i = 0; i < items.length; i += provider.writeBatchSize) {
        await send(items.slice(i, i + provider.writeBatchSize))
      }
    } catch (err) {
      if (provider.isRevoked(err) || (err instanceof CrmError && err.name === 'ConnectionInactiveError')) {
        logger.warn(
          { connectionId, provider: connection.provider },
          'write-back paused: authorisation failed',
        )
        return written
      }
      if (err instanceof CrmError && err.retryable) {
        const after = Math.max(5, Math.ceil((err.retryAfterMs ?? 30_000) / 1000))
        logger.warn({ connectionId, status: err.status, retryInSeconds: after }, 'write-back deferred')
        await queue.send('crm-flush', { workspaceId, connectionId }, { startAfterSeconds: after })
        return written
      }
      throw err
    }
    if (rows.length === FLUSH_ROWS) await queue.send('crm-flush', { workspaceId, connectionId })
    logger.info(
      { connectionId, provider: connection.provider, written, rows: rows.length },
      'write-back flushed',
    )
    return written
  }

  return { flush }
}

export type WriteBackFlush = ReturnType<typeof createWriteBackFlush>
