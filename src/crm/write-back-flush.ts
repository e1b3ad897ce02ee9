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
import type { CrmConnection, CrmWriteItem } from './types.js'

/** A row failing this many flushes in a row is parked (visible in the connection health). */
export const MAX_FLUSH_ATTEMPTS = 5
/** Rows read per page of a flush run. */
export const FLUSH_ROWS = 1000
/**
 * CRM calls per flush run before the job queues itself again (HubSpot: 100,000 contacts, about 90 s
 * at 110 calls / 10 s; Pipedrive, one person per call: well inside the job's expiry at its burst
 * limits), so one connection's backlog never holds a worker for long.
 */
export const MAX_CALLS_PER_RUN = 1000

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

  /**
   * Writes pending outbox rows of one connection, page after page, until none is left or the run has
   * made MAX_CALLS_PER_RUN calls (then the job queues itself again). One run drains a large backlog
   * without a queue round-trip every page, which used to leave the CRM's budget partly unused.
   * While one batch is being recorded, the next one is already on its way to the CRM, and up to the
   * provider's writeConcurrency batches are in flight (different contacts: nothing to order between
   * them). Returns the number of contacts written.
   */
  async function flush(workspaceId: string, connectionId: string): Promise<number> {
    const connection = await connections.byId(workspaceId, connectionId)
    // Paused while the connection is not active: rows stay pending and visible, nothing is dropped.
    if (connection.status !== 'active') return 0
    const provider = providers.get(connection.provider)
    const session = connections.sessionFor(connection)
    const park = (ids: string[], message: string, force: boolean) =>
      parkOutboxRows(db, workspaceId, connectionId, ids, message, {
        force,
        maxAttempts: MAX_FLUSH_ATTEMPTS,
        now: clock.now(),
      })
    let written = 0
    let calls = 0
    let rowsSeen = 0
    // The recording of the previous batch, awaited before the next one is recorded (and at the end).
    let recording: Promise<void> = Promise.resolve()

    async function send(chunk: CrmWriteItem[], versions: ReadonlyMap<string, string>): Promise<void> {
      let result: Awaited<ReturnType<typeof session.writeBatch>>
      calls++
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
          for (const one of chunk) await send([one], versions)
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
      const previous = recording
      recording = (async () => {
        await previous
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
              version: versions.get(w.contactId)!,
              properties: w.properties,
            })),
            clock.now(),
          ),
        )
        written += result.written.length
      })()
      // Failures of the recording surface when it is awaited; until then it must not go unhandled.
      recording.catch(() => {})
    }

    async function page(): Promise<number> {
      const rows = await pendingOutboxRows(db, workspaceId, connectionId, FLUSH_ROWS)
      if (rows.length === 0) return 0
      const versions = new Map<string, string>(rows.map((r: OutboxRow) => [r.contactId, r.version]))
      let items: CrmWriteItem[] = rows.map((r) => ({
        contactId: r.contactId,
        crmId: r.crmId,
        properties: r.properties,
      }))
      if (provider.prepareWrites) {
        items = await provider.prepareWrites(connection, items, (ids) =>
          contactProfiles(db, workspaceId, ids),
        )
      }
      const chunks: CrmWriteItem[][] = []
      for (let i = 0; i < items.length; i += provider.writeBatchSize)
        chunks.push(items.slice(i, i + provider.writeBatchSize))
      await inLanes(chunks, provider.writeConcurrency ?? 1, (chunk) => send(chunk, versions))
      // The next page is read only once this one is recorded: its rows must not come back.
      await recording
      return rows.length
    }

    let more = false
    try {
      for (;;) {
        const n = await page()
        rowsSeen += n
        // A short page is the last one. Every page makes calls, so the call cap bounds the run even
        // if rows kept coming back (values changing faster than they are written).
        if (n < FLUSH_ROWS) break
        if (calls >= MAX_CALLS_PER_RUN) {
          more = true
          break
        }
      }
    } catch (err) {
      // What was sent before the failure is recorded all the same.
      await recording
      await pauseOrDefer(err, connection)
      return written
    }
    if (more) await queue.send('crm-flush', { workspaceId, connectionId })
    if (rowsSeen > 0)
      logger.info(
        { connectionId, provider: connection.provider, written, rows: rowsSeen, calls },
        'write-back flushed',
      )
    return written
  }

  /**
   * A run that failed: paused when the authorisation is gone (rows stay pending), queued again when
   * the CRM asked to wait; any other failure is the job's.
   */
  async function pauseOrDefer(err: unknown, connection: CrmConnection): Promise<void> {
    const { workspace_id: workspaceId, id: connectionId } = connection
    const provider = providers.get(connection.provider)
    if (provider.isRevoked(err) || (err instanceof CrmError && err.name === 'ConnectionInactiveError')) {
      logger.warn({ connectionId, provider: connection.provider }, 'write-back paused: authorisation failed')
      return
    }
    if (err instanceof CrmError && err.retryable) {
      const after = Math.max(5, Math.ceil((err.retryAfterMs ?? 30_000) / 1000))
      logger.warn({ connectionId, status: err.status, retryInSeconds: after }, 'write-back deferred')
      await queue.send('crm-flush', { workspaceId, connectionId }, { startAfterSeconds: after })
      return
    }
    throw err
  }

  return { flush }
}

/**
 * Up to `concurrency` batches in flight; the first failure stops the others from taking more, and
 * surfaces once those in flight are done (their rows are parked or recorded meanwhile).
 */
async function inLanes<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed: { err: unknown } | undefined
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (err) {
        failed ??= { err }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane))
  if (failed) throw failed.err
}

export type WriteBackFlush = ReturnType<typeof createWriteBackFlush>
