/**
 * Moving data between Leadgrid and a HubSpot portal outside the request path:
 *  - flush: the outbox → batch updates of 100, only changed values; what fails is parked, never dropped;
 *  - install: provisioning, then the backfill (resumable: its cursor lives in `connections.backfill`);
 *  - reconcile: contacts modified since the last pass, so nothing depends on every webhook arriving.
 */
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { Db } from '../../db/database.js'
import type { ConnectionRow } from '../../db/schema.js'
import { CrmError } from '../../errors.js'
import type { IngestionService } from '../../events/ingestion-service.js'
import type { JobQueue } from '../../jobs/queue.js'
import { BATCH_LIMIT } from './hubspot-client.js'
import { readContactCompanies } from './hubspot-companies.js'
import type { HubSpotConnections } from './hubspot-connections.js'
import { HubSpotAuthError } from './hubspot-errors.js'
import { ingestHubSpotContacts } from './hubspot-webhook-service.js'
import { CONTACT_READ_PROPERTIES, lifecycleStageOnMql } from './mapping.js'
import { provisionHubSpotProperties } from './provisioning.js'

/** A row failing this many flushes in a row is parked (visible in the connection health). */
export const MAX_FLUSH_ATTEMPTS = 5
/** Rows per flush run (10 batch calls); the job re-queues itself while more wait. */
const FLUSH_ROWS = 1000
/** Backfill pages (of 100 contacts) per job run, so one run stays well inside the job timeout. */
const BACKFILL_PAGES_PER_RUN = 50
/** Search pages (of 200) per connection per reconciliation pass. */
const RECONCILE_PAGES = 25
/** The search index lags writes by "a few moments": the next pass starts this far back. */
const SEARCH_LAG_MS = 2 * 60 * 1000

export interface HubSpotSyncDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  ingestion: Pick<IngestionService, 'ingestContacts' | 'ingestEvents'>
  connections: Pick<HubSpotConnections, 'byId' | 'clientFor' | 'recordError'>
}

interface BackfillState {
  status?: 'running' | 'done'
  after?: string | null
  processed?: number
  startedAt?: string
  finishedAt?: string
}

export function createHubSpotSyncService(deps: HubSpotSyncDeps) {
  const { db, clock, logger, queue, connections } = deps

  async function park(
    connection: ConnectionRow,
    contactIds: string[],
    message: string,
    force: boolean,
  ): Promise<void> {
    if (contactIds.length === 0) return
    await db
      .updateTable('outbox')
      .set({
        attempts: sql`attempts + 1`,
        last_error: message.slice(0, 1000),
        status: force
          ? 'parked'
          : sql`CASE WHEN attempts + 1 >= ${MAX_FLUSH_ATTEMPTS} THEN 'parked' ELSE 'pending' END`,
        updated_at: clock.now(),
      })
      .where('workspace_id', '=', connection.workspace_id)
      .where('connection_id', '=', connection.id)
      .where('contact_id', 'in', contactIds)
      .execute()
  }

  /** Writes pending outbox rows of one connection. Returns the number of contacts written. */
  async function flush(workspaceId: string, connectionId: string): Promise<number> {
    const connection = await connections.byId(workspaceId, connectionId)
    // Paused while the connection is not active: rows stay pending and visible, nothing is dropped.
    if (connection.status !== 'active') return 0
    const rows = await db
      .selectFrom('outbox')
      .select(['contact_id', 'crm_id', 'properties', sql<string>`updated_at::text`.as('version')])
      .where('workspace_id', '=', workspaceId)
      .where('connection_id', '=', connectionId)
      .where('status', '=', 'pending')
      .orderBy('updated_at')
      .limit(FLUSH_ROWS)
      .execute()
    if (rows.length === 0) return 0

    const lifecycle = (connection.settings as { lifecycleOnMql?: unknown }).lifecycleOnMql === true
    const stages = new Map<string, string | null>()
    if (lifecycle) {
      const mqlIds = rows
        .filter((r) => r.properties['leadgrid_mql_status'] === 'mql')
        .map((r) => r.contact_id)
      if (mqlIds.length > 0) {
        const profiles = await db
          .selectFrom('contacts')
          .select(['id', sql<string | null>`properties->>'hubspot.lifecyclestage'`.as('stage')])
          .where('workspace_id', '=', workspaceId)
          .where('id', 'in', mqlIds)
          .execute()
        for (const p of profiles) stages.set(p.id, p.stage)
      }
    }
    const toInput = (r: (typeof rows)[number]) => {
      const properties: Record<string, string> = {}
      for (const [k, v] of Object.entries(r.properties)) properties[k] = v === null ? '' : String(v)
      if (stages.has(r.contact_id)) {
        const next = lifecycleStageOnMql(true, stages.get(r.contact_id))
        if (next) properties['lifecyclestage'] = next
      }
      return { contactId: r.contact_id, version: r.version, input: { id: r.crm_id, properties } }
    }
    const items = rows.map(toInput)
    const client = connections.clientFor(connection)
    let written = 0

    async function send(chunk: typeof items): Promise<void> {
      let res: Awaited<ReturnType<typeof client.batchUpdateContacts>>
      try {
        res = await client.batchUpdateContacts(chunk.map((c) => c.input))
      } catch (err) {
        if (err instanceof HubSpotAuthError) throw err
        if (err instanceof CrmError && !err.retryable && chunk.length > 1) {
          // One invalid record fails the whole batch: write the others one by one, park the culprit.
          for (const one of chunk) await send([one])
          return
        }
        if (err instanceof CrmError) {
          await park(
            connection,
            chunk.map((c) => c.contactId),
            err.message,
            !err.retryable,
          )
          await connections.recordError(connection, err.message)
          if (err.retryable) throw err
          return
        }
        throw err
      }
      const failedIds = new Set(res.failed.flatMap((f) => f.ids))
      for (const f of res.failed) {
        const ids = chunk.filter((c) => f.ids.includes(c.input.id)).map((c) => c.contactId)
        await park(connection, ids, `${f.category}: ${f.message}`, true)
      }
      const ok = chunk.filter((c) => !failedIds.has(c.input.id))
      await db.transaction().execute(async (trx) => {
        for (const c of ok) {
          await trx
            .insertInto('crm_written_values')
            .values({
              workspace_id: workspaceId,
              connection_id: connectionId,
              contact_id: c.contactId,
              properties: JSON.stringify(c.input.properties),
              written_at: clock.now(),
            })
            .onConflict((oc) =>
              oc.columns(['workspace_id', 'connection_id', 'contact_id']).doUpdateSet({
                properties: sql`crm_written_values.properties || excluded.properties`,
                written_at: clock.now(),
              }),
            )
            .execute()
          // Only the row we sent (same version, to the microsecond): newer values that arrived meanwhile stay pending for the next flush.
          await trx
            .deleteFrom('outbox')
            .where('workspace_id', '=', workspaceId)
            .where('connection_id', '=', connectionId)
            .where('contact_id', '=', c.contactId)
            .where(sql<boolean>`updated_at = ${c.version}::timestamptz`)
            .execute()
        }
      })
      written += ok.length
    }

    try {
      for (let i = 0; i < items.length; i += BATCH_LIMIT) await send(items.slice(i, i + BATCH_LIMIT))
    } catch (err) {
      if (err instanceof HubSpotAuthError) {
        logger.warn({ connectionId, code: err.code }, 'write-back paused: HubSpot authorisation failed')
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
    logger.info({ connectionId, written, rows: rows.length }, 'HubSpot write-back flushed')
    return written
  }

  async function setJson(
    connection: ConnectionRow,
    column: 'provisioning' | 'backfill',
    value: object,
  ): Promise<void> {
    await db
      .updateTable('connections')
      .set({ [column]: JSON.stringify(value), updated_at: clock.now() })
      .where('workspace_id', '=', connection.workspace_id)
      .where('id', '=', connection.id)
      .execute()
  }

  /**
   * Provisioning (idempotent), then one slice of the backfill. Re-queues itself until the backfill
   * is done; a crash resumes from the stored cursor. Returns true when everything is done.
   */
  async function install(workspaceId: string, connectionId: string): Promise<boolean> {
    let connection = await connections.byId(workspaceId, connectionId)
    if (connection.status !== 'active') return true
    const client = connections.clientFor(connection)
    if ((connection.provisioning as { status?: string }).status !== 'done') {
      const report = await provisionHubSpotProperties(client)
      await setJson(connection, 'provisioning', { status: 'done', at: clock.now().toISOString(), ...report })
      logger.info(
        { connectionId, created: report.created, mismatched: report.mismatched },
        'HubSpot properties provisioned',
      )
    }
    connection = await connections.byId(workspaceId, connectionId)
    const state = connection.backfill as BackfillState
    if (state.status === 'done') return true
    const startedAt = state.startedAt ?? clock.now().toISOString()
    let after = state.after ?? undefined
    let processed = state.processed ?? 0
    for (let page = 0; page < BACKFILL_PAGES_PER_RUN; page++) {
      const res = await client.listContactsPage({
        after,
        properties: [...CONTACT_READ_PROPERTIES],
        limit: BATCH_LIMIT,
      })
      const companies = await readContactCompanies(deps, connection, client, res.contacts)
      await ingestHubSpotContacts(deps, workspaceId, connection.account_id, res.contacts, companies)
      processed += res.contacts.length
      after = res.after
      if (!after) {
        await setJson(connection, 'backfill', {
          status: 'done',
          processed,
          startedAt,
          finishedAt: clock.now().toISOString(),
        })
        // Reconciliation takes over from when the backfill began (changes during it included).
        await db
          .updateTable('connections')
          .set({ reconcile_cursor: new Date(startedAt) })
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', connectionId)
          .execute()
        logger.info({ connectionId, processed }, 'HubSpot backfill done')
        return true
      }
      await setJson(connection, 'backfill', { status: 'running', after, processed, startedAt })
      if (page % 10 === 9) logger.info({ connectionId, processed }, 'HubSpot backfill progress')
    }
    await queue.send('crm-install', { workspaceId, connectionId })
    return false
  }

  /** One reconciliation pass for one connection. Returns how many contacts it read. */
  async function reconcile(workspaceId: string, connectionId: string): Promise<number> {
    const connection = await connections.byId(workspaceId, connectionId)
    if (connection.status !== 'active' || (connection.backfill as BackfillState).status !== 'done') return 0
    const passStarted = clock.now()
    let since = connection.reconcile_cursor ?? new Date(passStarted.getTime() - 15 * 60 * 1000)
    const client = connections.clientFor(connection)
    let after: string | undefined
    let read = 0
    let newest = since.getTime()
    for (let page = 0; page < RECONCILE_PAGES; page++) {
      const res = await client.searchContactsModifiedSince({
        since,
        properties: [...CONTACT_READ_PROPERTIES],
        after,
      })
      const companies = await readContactCompanies(deps, connection, client, res.contacts)
      await ingestHubSpotContacts(deps, workspaceId, connection.account_id, res.contacts, companies)
      read += res.contacts.length
      for (const c of res.contacts) {
        const t = new Date(c.properties['lastmodifieddate'] ?? c.updatedAt ?? 0).getTime()
        if (Number.isFinite(t)) newest = Math.max(newest, t)
      }
      if (res.exhausted) {
        // 10,000 results per query: start a new query from the newest change seen.
        since = new Date(newest)
        after = undefined
        continue
      }
      after = res.after
      if (!after) break
    }
    const cursor = new Date(Math.min(newest, passStarted.getTime() - SEARCH_LAG_MS))
    await db
      .updateTable('connections')
      .set({
        reconcile_cursor:
          cursor > (connection.reconcile_cursor ?? new Date(0)) ? cursor : connection.reconcile_cursor,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', connectionId)
      .execute()
    // Deliveries stored but never worked (a crash between the 200 and the job): queue them again.
    const stale = await db
      .selectFrom('inbound_deliveries')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('connection_id', '=', connectionId)
      .where('processed_at', 'is', null)
      .where('received_at', '<', new Date(passStarted.getTime() - 60_000))
      .executeTakeFirst()
    if ((stale?.n ?? 0) > 0) await queue.send('crm-process-deliveries', { workspaceId, connectionId })
    if (read > 0) logger.info({ connectionId, read }, 'HubSpot reconciliation pass')
    return read
  }

  /** The cron entry: every active HubSpot connection, one after the other (each has its own limits). */
  async function reconcileAll(): Promise<void> {
    const rows = await db
      .selectFrom('connections')
      .select(['workspace_id', 'id'])
      .where('provider', '=', 'hubspot')
      .where('status', '=', 'active')
      .execute()
    for (const r of rows) {
      try {
        await reconcile(r.workspace_id, r.id)
      } catch (err) {
        // One portal's trouble must not stop the others; it is recorded on its connection.
        logger.warn({ err, connectionId: r.id }, 'HubSpot reconciliation failed')
        await connections.recordError(
          { workspace_id: r.workspace_id, id: r.id },
          `reconciliation: ${(err as Error).message}`,
        )
      }
    }
  }

  return { flush, install, reconcile, reconcileAll }
}

export type HubSpotSyncService = ReturnType<typeof createHubSpotSyncService>
