/**
 * Moving records from a CRM into Leadgrid outside the request path, whatever the provider:
 *  - install: provisioning (idempotent), webhook subscriptions where the provider registers its own,
 *    then the backfill — resumable, its cursor and progress in `connections.backfill`;
 *  - reconcile: records changed since the last pass, so nothing depends on every webhook arriving.
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { setCompanyLinks } from '../db/company-link-repository.js'
import {
  advanceReconcileCursor,
  listActiveConnections,
  setConnectionJson,
} from '../db/connection-repository.js'
import type { Db } from '../db/database.js'
import type { ConnectionRow } from '../db/schema.js'
import { crmIdOf } from '../events/ingestion-schemas.js'
import type { IngestionService } from '../events/ingestion-service.js'
import type { JobQueue } from '../jobs/queue.js'
import type { ConnectionService } from './connection-service.js'
import type { CrmProviderRegistry } from './provider-registry.js'
import type { CrmOutcomeRecorder, CrmProviderName, CrmRecords } from './types.js'

/** Backfill pages per job run, so one run stays well inside the job timeout. */
const BACKFILL_PAGES_PER_RUN = 50
/** Pages per connection per reconciliation pass. */
const RECONCILE_PAGES = 25
/** Search indexes lag writes by "a few moments": the next pass starts this far back. */
const SEARCH_LAG_MS = 2 * 60 * 1000

export interface BackfillState {
  status?: 'running' | 'done'
  cursor?: string | null
  after?: string | null
  processed?: number
  startedAt?: string
  finishedAt?: string
}

export interface SyncDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  ingestion: Pick<IngestionService, 'ingest'>
  connections: Pick<ConnectionService, 'byId' | 'sessionFor' | 'recordError'>
  /** Where outcomes the records carry go (the calibration store); none: they are dropped. */
  providers: Pick<CrmProviderRegistry, 'get'>
  recordOutcomes?: CrmOutcomeRecorder
}

/**
 * Records read from a CRM into Leadgrid: contacts and the events their state implies, in one
 * transaction; then, for providers that read companies, which company each contact belongs to.
 */
export async function ingestCrmRecords(
  deps: { ingestion: Pick<IngestionService, 'ingest'>; db: Db; clock: Clock },
  connection: Pick<ConnectionRow, 'workspace_id' | 'id' | 'provider'>,
  records: CrmRecords,
  /** The identity kind the provider stores its record ids under (`CrmProvider.identityKind`). */
  identityKind: CrmProviderName,
): Promise<void> {
  if (records.contacts.length === 0 && records.events.length === 0) return
  const { contacts, events } = records
  const ingested = await deps.ingestion.ingest(
    connection.workspace_id,
    { contacts, events },
    connection.provider,
  )
  const links = records.companyLinks
  if (!links) return
  const companyLinks = contacts.flatMap((c, i) => {
    const crmId = crmIdOf(c.contact, identityKind)
    const contactId = ingested.contacts[i]?.contactId
    if (crmId === undefined || contactId === undefined || !links.has(crmId)) return []
    return [{ contactId, companyId: links.get(crmId) ?? null }]
  })
  await setCompanyLinks(deps.db, connection.workspace_id, connection.id, companyLinks, deps.clock.now())
}

export function createSyncService(deps: SyncDeps) {
  const { db, clock, logger, queue, connections } = deps

  /** A page read by the backfill or a reconciliation: its records, then the outcomes they carry. */
  async function ingestPage(connection: ConnectionRow, page: CrmRecords): Promise<void> {
    const { provider } = connection
    const identityKind = deps.providers.get(provider).identityKind
    await ingestCrmRecords(deps, connection, page, identityKind)
    // After the records, so each outcome finds its contact with its profile.
    if (deps.recordOutcomes && page.outcomes && page.outcomes.length > 0)
      await deps.recordOutcomes(connection.workspace_id, { provider, identityKind }, page.outcomes)
  }

  /**
   * Provisioning and subscriptions (each once), then one slice of the backfill. Re-queues itself until
   * the backfill is done; a crash resumes from the stored cursor. Returns true when everything is done.
   */
  async function install(workspaceId: string, connectionId: string): Promise<boolean> {
    let connection = await connections.byId(workspaceId, connectionId)
    if (connection.status !== 'active') return true
    const session = connections.sessionFor(connection)
    const provisioning = connection.provisioning as { status?: string; subscriptions?: unknown }
    if (provisioning.status !== 'done') {
      const { report, settings } = await session.provision()
      const subscribed = session.subscribe ? await session.subscribe() : undefined
      const subscriptions = subscribed?.report
      if (settings || subscribed?.settings) {
        await setConnectionJson(
          db,
          connection,
          'settings',
          { ...connection.settings, ...settings, ...subscribed?.settings },
          clock.now(),
        )
      }
      await setConnectionJson(
        db,
        connection,
        'provisioning',
        {
          status: 'done',
          at: clock.now().toISOString(),
          ...report,
          ...(subscriptions ? { subscriptions } : {}),
        },
        clock.now(),
      )
      logger.info({ connectionId, provider: connection.provider, ...report }, 'CRM provisioned')
      connection = await connections.byId(workspaceId, connectionId)
    }
    const state = connection.backfill as BackfillState
    if (state.status === 'done') return true
    const startedAt = state.startedAt ?? clock.now().toISOString()
    // Backfills started before HubSpot moved onto these services kept HubSpot's cursor as `after`.
    let cursor = state.cursor ?? state.after ?? null
    let processed = state.processed ?? 0
    const fresh = connections.sessionFor(connection)
    for (let page = 0; page < BACKFILL_PAGES_PER_RUN; page++) {
      const res = await fresh.contactsPage(cursor)
      await ingestPage(connection, res)
      processed += res.read
      cursor = res.next
      if (!cursor) {
        await setConnectionJson(
          db,
          connection,
          'backfill',
          { status: 'done', processed, startedAt, finishedAt: clock.now().toISOString() },
          clock.now(),
        )
        // Reconciliation takes over from when the backfill began (changes during it included).
        await advanceReconcileCursor(db, connection, new Date(startedAt))
        logger.info({ connectionId, provider: connection.provider, processed }, 'CRM backfill done')
        return true
      }
      await setConnectionJson(
        db,
        connection,
        'backfill',
        { status: 'running', cursor, processed, startedAt },
        clock.now(),
      )
    }
    await queue.send('crm-install', { workspaceId, connectionId })
    return false
  }

  /** One reconciliation pass for one connection. Returns how many records it read. */
  async function reconcile(workspaceId: string, connectionId: string): Promise<number> {
    const connection = await connections.byId(workspaceId, connectionId)
    if (connection.status !== 'active' || (connection.backfill as BackfillState).status !== 'done') return 0
    const passStarted = clock.now()
    const since = connection.reconcile_cursor ?? new Date(passStarted.getTime() - 15 * 60 * 1000)
    const session = connections.sessionFor(connection)
    let cursor: string | null = null
    let read = 0
    let newest = since.getTime()
    for (let page = 0; page < RECONCILE_PAGES; page++) {
      const res = await session.changedSince(since, cursor)
      await ingestPage(connection, res)
      read += res.read
      if (res.newest) newest = Math.max(newest, res.newest.getTime())
      cursor = res.next
      if (!cursor) break
    }
    await advanceReconcileCursor(
      db,
      connection,
      new Date(Math.min(newest, passStarted.getTime() - SEARCH_LAG_MS)),
    )
    // Webhooks deleted in the CRM (by a user, or dropped) come back here; what was missed while they
    // were gone was just read above, since reconciliation never depends on webhooks.
    if (session.ensureSubscriptions) {
      const { recreated } = await session.ensureSubscriptions()
      if (recreated.length > 0)
        logger.warn({ connectionId, provider: connection.provider, recreated }, 'CRM webhooks re-created')
    }
    if (read > 0)
      logger.info({ connectionId, provider: connection.provider, read }, 'CRM reconciliation pass')
    return read
  }

  /**
   * The cron entry: every active connection of the given providers (those registered with these
   * services), one after the other (each has its own limits).
   */
  async function reconcileAll(providers: CrmProviderName[]): Promise<void> {
    const active = await listActiveConnections(db)
    for (const c of active.filter((a) => providers.includes(a.provider))) {
      try {
        await reconcile(c.workspace_id, c.id)
      } catch (err) {
        // One account's trouble must not stop the others; it is recorded on its connection.
        logger.warn({ err, connectionId: c.id, provider: c.provider }, 'CRM reconciliation failed')
        await connections.recordError(c, `reconciliation: ${(err as Error).message}`)
      }
    }
  }

  return { install, reconcile, reconcileAll }
}

export type SyncService = ReturnType<typeof createSyncService>
