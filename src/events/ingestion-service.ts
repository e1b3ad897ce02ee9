/**
 * Ingestion: contacts and events from any producer (API, tracking snippet, CRM adapters) land
 * here. One transaction stores them and marks the touched contacts dirty; only then does the
 * caller acknowledge, and a rescore job is asked for. If the process dies before the job is sent,
 * the dirty mark survives and the catch-up job finds it.
 *
 * The marks are written once, at the end of the transaction, in contact-id order (see
 * rescore-mark-repository.ts): a publish marking the whole workspace at the same moment then
 * cannot deadlock with it. Contention that PostgreSQL still resolves by aborting (two batches
 * resolving the same people in another order) re-runs the whole transaction: it is idempotent
 * through the events' dedupe keys and the identity upserts.
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { Db } from '../db/database.js'
import { markForRescore, type RescoreMark } from '../db/rescore-mark-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import type { JobQueue } from '../jobs/queue.js'
import type { Metrics } from '../metrics.js'
import type { ContactUpsert, EventInput } from './ingestion-schemas.js'
import { storeContacts, storeEvents, storeEventsInOneStatement } from './ingestion-store.js'

export interface IngestionDeps {
  db: Db
  queue: Pick<JobQueue, 'send'>
  clock: Clock
  logger: Logger
  metrics?: Pick<Metrics, 'eventsIngested' | 'eventsDuplicate' | 'ingestBatches'>
}

export interface IngestOptions {
  /**
   * false for untrusted producers (the public tracking key): identities that name two already
   * known people never merge them. CRMs and API callers, who hold secrets, may merge.
   */
  mergeKnownContacts?: boolean
}

export interface IngestEventsResult {
  accepted: number
  duplicates: number
}

export interface IngestContactsResult {
  contacts: { contactId: string; created: boolean }[]
}

export { eventDedupeKey } from './event-dedupe-key.js'

export function createIngestionService(deps: IngestionDeps) {
  const { db, queue, clock, logger, metrics } = deps

  async function requestRescore(workspaceId: string): Promise<void> {
    try {
      await queue.send('rescore-dirty', { workspaceId })
    } catch (err) {
      // The data is stored and marked dirty; the catch-up job will rescore it.
      logger.warn({ err, workspaceId }, 'could not enqueue rescore; catch-up will pick it up')
    }
  }

  /**
   * Events alone, of people known or simply new: one autocommitted statement (ingestion-store.ts,
   * single-statement-ingest.ts); null when the batch needs the transaction below (contacts to
   * upsert, a merge, a profile change, a first-seen time moving back, or a plan gone stale).
   */
  async function inOneStatement(
    workspaceId: string,
    batch: { contacts?: ContactUpsert[]; events?: EventInput[] },
    source: string,
    now: Date,
  ) {
    if ((batch.contacts?.length ?? 0) > 0 || !batch.events?.length) return null
    const events = await storeEventsInOneStatement(db, workspaceId, batch.events, source, now)
    metrics?.ingestBatches.inc({ path: events ? 'one_statement' : 'transaction' })
    return events && { contacts: { contacts: [], changed: false }, events }
  }

  /** Contacts and events of one request, stored together or not at all. */
  async function ingest(
    workspaceId: string,
    batch: { contacts?: ContactUpsert[]; events?: EventInput[] },
    source: string,
    options: IngestOptions = {},
  ): Promise<IngestContactsResult & IngestEventsResult> {
    const now = clock.now()
    const result =
      (await inOneStatement(workspaceId, batch, source, now)) ??
      (await transactionWithRetry(
        db,
        async (trx) => {
          const marks: RescoreMark[] = []
          const contacts = await storeContacts(trx, workspaceId, batch.contacts ?? [], options, now, marks)
          const events = await storeEvents(trx, workspaceId, batch.events ?? [], source, options, now, marks)
          // Last, in one statement: every other lock of this transaction is already held by then.
          await markForRescore(trx, workspaceId, marks)
          return { contacts, events }
        },
        // 23503: a contact resolved above was merged away before the events went in (the merge
        // locks it first, contact-repository.ts): run again, the identities now name the survivor.
        { logger, label: 'ingest', alsoRetryOn: ['23503'] },
      ))
    metrics?.eventsIngested.inc({ source }, result.events.accepted)
    metrics?.eventsDuplicate.inc({ source }, result.events.duplicates)
    if (result.contacts.changed || result.events.accepted > 0 || result.events.merged)
      await requestRescore(workspaceId)
    logger.debug(
      { workspaceId, source, contacts: batch.contacts?.length ?? 0, events: batch.events?.length ?? 0 },
      'ingested',
    )
    return {
      contacts: result.contacts.contacts,
      accepted: result.events.accepted,
      duplicates: result.events.duplicates,
    }
  }

  return {
    ingest,

    async ingestEvents(
      workspaceId: string,
      events: EventInput[],
      source: string,
      options: IngestOptions = {},
    ): Promise<IngestEventsResult> {
      const { accepted, duplicates } = await ingest(workspaceId, { events }, source, options)
      return { accepted, duplicates }
    },

    async ingestContacts(
      workspaceId: string,
      items: ContactUpsert[],
      source: string,
      options: IngestOptions = {},
    ): Promise<IngestContactsResult> {
      const { contacts } = await ingest(workspaceId, { contacts: items }, source, options)
      return { contacts }
    },
  }
}

export type IngestionService = ReturnType<typeof createIngestionService>
