/**
 * CRM webhook deliveries, whatever the provider, in two halves:
 *  - receive: (authenticity already checked by the route) one row per delivery in `inbound_deliveries`,
 *    keyed by its dedupe key, ON CONFLICT DO NOTHING — durable before the 2xx, retries stored once;
 *  - process (job): the provider reads what the deliveries refer to and says what they mean
 *    (records, merges, erasures, outcomes); this service applies that to Leadgrid's data.
 */
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { contactsOfCompanies, unlinkCompanies } from '../db/company-link-repository.js'
import { touchLastWebhook } from '../db/connection-repository.js'
import { eraseContact, resolveContact } from '../db/contact-repository.js'
import type { Db } from '../db/database.js'
import { markForRescore } from '../db/rescore-mark-repository.js'
import type { ConnectionRow } from '../db/schema.js'
import { type ContactRef, crmIdOf } from '../events/ingestion-schemas.js'
import type { IngestionService } from '../events/ingestion-service.js'
import type { JobQueue } from '../jobs/queue.js'
import type { ConnectionService } from './connection-service.js'
import type { CrmProviderRegistry } from './provider-registry.js'
import { ingestCrmRecords } from './sync-service.js'
import type { CrmDeliveryEffects, CrmOutcomeRecorder, CrmProviderName } from './types.js'

/** Deliveries handled per job run; the job re-queues itself while more wait. */
const PROCESS_BATCH = 500

export interface DeliveryServiceDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  ingestion: Pick<IngestionService, 'ingest'>
  connections: Pick<ConnectionService, 'byId' | 'sessionFor'>
  providers: CrmProviderRegistry
  /** Where outcomes go (the calibration store); none: they are logged and dropped. */
  recordOutcomes?: CrmOutcomeRecorder
}

export function createDeliveryService(deps: DeliveryServiceDeps) {
  const { db, clock, logger, queue, connections, providers } = deps

  /** Stores deliveries of one active connection durably; returns how many were new. */
  async function receive(
    connection: Pick<ConnectionRow, 'workspace_id' | 'id'>,
    deliveries: { key: string; payload: unknown }[],
  ): Promise<{ stored: number; duplicates: number }> {
    if (deliveries.length === 0) return { stored: 0, duplicates: 0 }
    const stored = await db.transaction().execute(async (trx) => {
      const res = await trx
        .insertInto('inbound_deliveries')
        .values(
          deliveries.map((d) => ({
            workspace_id: connection.workspace_id,
            connection_id: connection.id,
            delivery_key: d.key,
            payload: JSON.stringify(d.payload),
          })),
        )
        .onConflict((oc) => oc.columns(['workspace_id', 'connection_id', 'delivery_key']).doNothing())
        .returning('delivery_key')
        .execute()
      await touchLastWebhook(trx, connection, clock.now())
      return res.length
    })
    if (stored > 0) {
      try {
        await queue.send('crm-process-deliveries', {
          workspaceId: connection.workspace_id,
          connectionId: connection.id,
        })
      } catch (err) {
        // Stored and acknowledged; the reconciliation pass re-queues pending deliveries.
        logger.warn({ err, connectionId: connection.id }, 'could not enqueue webhook processing')
      }
    }
    return { stored, duplicates: deliveries.length - stored }
  }

  async function applyMerges(workspaceId: string, kind: CrmProviderName, merges: string[][]): Promise<void> {
    for (const ids of merges) {
      const unique = [...new Set(ids)]
      await db.transaction().execute(async (trx) => {
        const known = await trx
          .selectFrom('contact_identities')
          .select('value')
          .where('workspace_id', '=', workspaceId)
          .where('kind', '=', kind)
          .where('value', 'in', unique)
          .execute()
        if (known.length === 0) return
        const resolved = await resolveContact(
          trx,
          workspaceId,
          unique.map((value) => ({ kind, value })),
          clock.now(),
        )
        // The last id survives in the CRM; the others name no record any more. Left in place they
        // would compete with it as the contact's CRM id, and a write to them is refused.
        const gone = unique.slice(0, -1)
        if (gone.length > 0) {
          await trx
            .deleteFrom('contact_identities')
            .where('workspace_id', '=', workspaceId)
            .where('kind', '=', kind)
            .where('value', 'in', gone)
            .execute()
        }
        await markForRescore(trx, workspaceId, [{ contactId: resolved.id, reason: 'merge' }])
      })
    }
  }

  async function applyErasures(workspaceId: string, kind: CrmProviderName, crmIds: string[]): Promise<void> {
    if (crmIds.length === 0) return
    await db.transaction().execute(async (trx) => {
      const found = await trx
        .selectFrom('contact_identities')
        .select('contact_id')
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', kind)
        .where('value', 'in', crmIds)
        .execute()
      for (const contactId of new Set(found.map((f) => f.contact_id)))
        await eraseContact(trx, workspaceId, contactId)
      await trx
        .insertInto('audit_log')
        .values({
          workspace_id: workspaceId,
          actor: kind,
          action: 'contact.erased',
          // The CRM ids only: the person's data is gone.
          details: JSON.stringify({ provider: kind, crmIds, contacts: found.length }),
        })
        .execute()
    })
  }

  /**
   * Companies changed in the CRM: their linked contacts (as stored) get the values the provider derives
   * from the companies' new state, so they are rescored; companies the CRM no longer has lose their links.
   */
  async function applyCompanyChanges(
    connection: ConnectionRow,
    kind: CrmProviderName,
    companyIds: string[],
  ): Promise<void> {
    const session = connections.sessionFor(connection)
    if (!session.companyUpdates) return
    const linked = await contactsOfCompanies(db, connection.workspace_id, connection.id, companyIds, kind)
    const named = linked.flatMap((l) =>
      l.crmId === null ? [] : [{ crmId: l.crmId, companyId: l.companyId, profile: l.properties }],
    )
    if (named.length === 0) return
    const { contacts, gone } = await session.companyUpdates(named)
    await ingestCrmRecords(deps, connection, { contacts, events: [] }, kind)
    await unlinkCompanies(db, connection.workspace_id, connection.id, gone)
    logger.info(
      { connectionId: connection.id, companies: companyIds.length, contacts: contacts.length },
      'CRM company changes applied to their contacts',
    )
  }

  async function apply(connection: ConnectionRow, effects: CrmDeliveryEffects): Promise<void> {
    const { workspace_id: workspaceId, provider } = connection
    const kind = providers.get(provider).identityKind
    // Merges first: the surviving id then names one Leadgrid contact when its record is read.
    await applyMerges(workspaceId, kind, effects.merges)
    const erased = new Set(effects.erased)
    await ingestCrmRecords(
      deps,
      connection,
      {
        contacts: effects.contacts.filter((c) => !isAmong(c.contact, kind, erased)),
        events: effects.events.filter((e) => !isAmong(e.contact, kind, erased)),
        ...(effects.companyLinks ? { companyLinks: effects.companyLinks } : {}),
      },
      kind,
    )
    // After the records, so company links they just recorded are followed too.
    if (effects.companiesChanged && effects.companiesChanged.length > 0)
      await applyCompanyChanges(connection, kind, effects.companiesChanged)
    await applyErasures(workspaceId, kind, [...erased])
    // Never for an erased person: recording it would bring the contact back.
    const outcomes = effects.outcomes.filter((o) => !erased.has(o.crmId))
    if (outcomes.length > 0) {
      if (deps.recordOutcomes)
        await deps.recordOutcomes(workspaceId, { provider, identityKind: kind }, outcomes)
      else logger.info({ connectionId: connection.id, outcomes: outcomes.length }, 'outcomes not recorded')
    }
  }

  /** Works the stored deliveries of one connection, oldest change first. Returns how many were handled. */
  async function process(workspaceId: string, connectionId: string): Promise<number> {
    const connection = await connections.byId(workspaceId, connectionId)
    const rows = await db
      .selectFrom('inbound_deliveries')
      .select(['delivery_key', 'payload'])
      .where('workspace_id', '=', workspaceId)
      .where('connection_id', '=', connectionId)
      .where('processed_at', 'is', null)
      .orderBy('received_at')
      .limit(PROCESS_BATCH)
      .execute()
    if (rows.length === 0) return 0
    if (connection.status !== 'active') {
      logger.info(
        { connectionId, pending: rows.length },
        'connection not active; deliveries kept unprocessed',
      )
      return 0
    }
    const provider = providers.get(connection.provider)
    const payloads = rows
      .map((r) => r.payload)
      .sort((a, b) => provider.deliveryOrder(a) - provider.deliveryOrder(b))
    const effects = await connections.sessionFor(connection).interpretDeliveries(payloads)
    await apply(connection, effects)
    await db
      .updateTable('inbound_deliveries')
      .set({ processed_at: clock.now(), attempts: sql`attempts + 1` })
      .where('workspace_id', '=', workspaceId)
      .where('connection_id', '=', connectionId)
      .where(
        'delivery_key',
        'in',
        rows.map((r) => r.delivery_key),
      )
      .execute()
    if (rows.length === PROCESS_BATCH)
      await queue.send('crm-process-deliveries', { workspaceId, connectionId })
    return rows.length
  }

  /** Deliveries stored but never worked (a crash between the 2xx and the job): queued again. */
  async function requeueStale(olderThanMs = 60_000): Promise<number> {
    const stale = await db
      .selectFrom('inbound_deliveries')
      .select(['workspace_id', 'connection_id'])
      .where('processed_at', 'is', null)
      .where('received_at', '<', new Date(clock.now().getTime() - olderThanMs))
      .groupBy(['workspace_id', 'connection_id'])
      .execute()
    for (const s of stale) {
      await queue.send('crm-process-deliveries', {
        workspaceId: s.workspace_id,
        connectionId: s.connection_id,
      })
    }
    return stale.length
  }

  return { receive, process, requeueStale }
}

function isAmong(ref: ContactRef, kind: CrmProviderName, ids: ReadonlySet<string>): boolean {
  if (ids.size === 0) return false
  const id = crmIdOf(ref, kind)
  return id !== undefined && ids.has(id)
}

export type DeliveryService = ReturnType<typeof createDeliveryService>
