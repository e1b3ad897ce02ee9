/**
 * HubSpot webhooks, in two halves:
 *  - receive: (signature already verified by the route) one row per event in `inbound_deliveries`,
 *    keyed by the event's dedupe key, ON CONFLICT DO NOTHING — durable before the 200, retries stored once;
 *  - process (job): creation → fetch the profile; propertyChange → profile update or engagement events;
 *    merge → one contact; deletion / privacyDeletion → erase; a change of the contact's companies →
 *    fetch it again; a company property change → its contacts' company values, then rescore;
 *    our own echoes ignored; unknown types logged.
 */
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import { eraseContact, resolveContact } from '../../db/contact-repository.js'
import type { Db } from '../../db/database.js'
import { markForRescore } from '../../db/rescore-mark-repository.js'
import type { ConnectionRow } from '../../db/schema.js'
import type { IngestionService } from '../../events/ingestion-service.js'
import { jsonValueDepth } from '../../http/json-body.js'
import type { JobQueue } from '../../jobs/queue.js'
import type { HubSpotContact } from './hubspot-client.js'
import {
  applyCompanyChanges,
  type ContactCompanies,
  readContactCompanies,
  recordCompanyLinks,
} from './hubspot-companies.js'
import type { HubSpotConnections } from './hubspot-connections.js'
import {
  CONTACT_READ_PROPERTIES,
  classifyPropertyChange,
  engagementEventsFromSnapshot,
  isCompanyPropertyRead,
  isEchoOfOwnWrite,
  profileFromHubSpot,
} from './mapping.js'
import {
  companyEventKind,
  contactEventKind,
  contactOfCompanyAssociation,
  DOCUMENTED_WEBHOOK_FIELDS,
  type HubSpotWebhookEvent,
  webhookDedupeKey,
} from './webhooks.js'

export interface HubSpotWebhookDeps {
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  ingestion: Pick<IngestionService, 'ingestContacts' | 'ingestEvents'>
  connections: Pick<HubSpotConnections, 'byPortal' | 'byId' | 'clientFor' | 'recordError'>
  config: Pick<Config, 'HUBSPOT_APP_ID'>
}

const SOURCE = 'hubspot'
/** Deliveries handled per job run; the job re-queues itself while more wait. */
const PROCESS_BATCH = 500

/**
 * Profile + events of HubSpot contacts into Leadgrid, in one call each. Shared with backfill/reconcile.
 * With `companies` (see hubspot-companies.ts) each contact also gets its primary company's values and
 * its company link is recorded; without, nothing about companies is touched.
 */
export async function ingestHubSpotContacts(
  deps: { ingestion: Pick<IngestionService, 'ingestContacts' | 'ingestEvents'>; clock: Clock; db: Db },
  workspaceId: string,
  portalId: string,
  contacts: HubSpotContact[],
  companies?: ContactCompanies,
): Promise<{ events: number }> {
  if (contacts.length === 0) return { events: 0 }
  const now = deps.clock.now()
  const ingested = await deps.ingestion.ingestContacts(
    workspaceId,
    contacts.map((c) => {
      const email = c.properties['email']?.trim().toLowerCase()
      const company = companies?.byContact.has(c.id) ? (companies.byContact.get(c.id) ?? null) : undefined
      const properties = Object.fromEntries(
        Object.entries(
          profileFromHubSpot(c.properties, company === undefined ? undefined : (company?.properties ?? null)),
        ).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 4096) : v]),
      )
      const created = c.properties['createdate'] ?? c.createdAt
      return {
        contact: { hubspotId: c.id, ...(email?.includes('@') ? { email } : {}) },
        properties,
        ...(created && !Number.isNaN(new Date(created).getTime())
          ? { createdAt: new Date(created).toISOString() }
          : {}),
      }
    }),
    SOURCE,
  )
  if (companies) {
    await recordCompanyLinks(
      deps,
      workspaceId,
      companies,
      contacts.map((c) => c.id),
      ingested.contacts.map((c) => c.contactId),
    )
  }
  const events = contacts.flatMap((c) =>
    engagementEventsFromSnapshot(portalId, c.id, c.properties, now).map(
      ({ id, contact, type, occurredAt, attributes }) => ({
        id,
        contact,
        type,
        occurredAt,
        attributes,
      }),
    ),
  )
  if (events.length > 0) await deps.ingestion.ingestEvents(workspaceId, events, SOURCE)
  return { events: events.length }
}

/** Unknown fields nested deeper than this are not stored (HubSpot's own fields are flat). */
export const MAX_UNKNOWN_FIELD_DEPTH = 8
const DOCUMENTED_FIELDS: ReadonlySet<string> = new Set(DOCUMENTED_WEBHOOK_FIELDS)

/**
 * The delivery as stored. Unknown fields are kept (a later version may read them) unless they nest
 * deeper than MAX_UNKNOWN_FIELD_DEPTH: such a field is dropped, so a field HubSpot adds tomorrow can
 * never make JSON.stringify or Postgres overflow and sink the batch (issue 6). The documented
 * fields are validated (flat) and always kept.
 */
export function storablePayload(e: HubSpotWebhookEvent): string {
  const kept = Object.fromEntries(
    Object.entries(e).filter(
      ([k, v]) =>
        DOCUMENTED_FIELDS.has(k) || jsonValueDepth(v, MAX_UNKNOWN_FIELD_DEPTH) <= MAX_UNKNOWN_FIELD_DEPTH,
    ),
  )
  return JSON.stringify(kept)
}

export function createHubSpotWebhookService(deps: HubSpotWebhookDeps) {
  const { db, clock, logger, queue, connections } = deps

  /**
   * Stores a verified batch. Events of a portal without an active connection are logged and dropped
   * (HubSpot would otherwise retry them for a day). Returns what was stored and what was new.
   */
  async function receive(
    events: HubSpotWebhookEvent[],
  ): Promise<{ stored: number; duplicates: number; ignored: number }> {
    const byPortal = new Map<string, HubSpotWebhookEvent[]>()
    for (const e of events) {
      const key = String(e.portalId)
      byPortal.set(key, [...(byPortal.get(key) ?? []), e])
    }
    let stored = 0
    let duplicates = 0
    let ignored = 0
    const touched: ConnectionRow[] = []
    for (const [portalId, portalEvents] of byPortal) {
      const connection = await connections.byPortal(portalId)
      if (connection?.status !== 'active') {
        logger.warn(
          { portalId, events: portalEvents.length },
          'HubSpot webhook for a portal without an active connection; ignored',
        )
        ignored += portalEvents.length
        continue
      }
      const rows = portalEvents.map((e) => ({
        workspace_id: connection.workspace_id,
        connection_id: connection.id,
        delivery_key: webhookDedupeKey(e),
        payload: storablePayload(e),
      }))
      const inserted = await db.transaction().execute(async (trx) => {
        const res = await trx
          .insertInto('inbound_deliveries')
          .values(rows)
          .onConflict((oc) => oc.columns(['workspace_id', 'connection_id', 'delivery_key']).doNothing())
          .returning('delivery_key')
          .execute()
        await trx
          .updateTable('connections')
          .set({ last_webhook_at: clock.now() })
          .where('workspace_id', '=', connection.workspace_id)
          .where('id', '=', connection.id)
          .execute()
        return res.length
      })
      stored += inserted
      duplicates += rows.length - inserted
      if (inserted > 0) touched.push(connection)
    }
    for (const c of touched) {
      try {
        await queue.send('crm-process-deliveries', { workspaceId: c.workspace_id, connectionId: c.id })
      } catch (err) {
        // Stored and acknowledged; the reconciliation pass re-queues pending deliveries.
        logger.warn({ err, connectionId: c.id }, 'could not enqueue webhook processing')
      }
    }
    return { stored, duplicates, ignored }
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
      .orderBy(sql`(payload->>'occurredAt')::bigint`)
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
    const events = rows.map((r) => r.payload as HubSpotWebhookEvent)
    const toFetch = new Set<string>()
    const erase = new Set<string>()
    const merges: HubSpotWebhookEvent[] = []
    const changedCompanies = new Set<string>()
    for (const e of events) {
      const kind = contactEventKind(e)
      const objectId = String(e.objectId)
      const companyKind = kind === null ? companyEventKind(e) : null
      if (companyKind !== null) {
        // Only the properties Leadgrid reads can change a contact's profile; a deleted company is
        // read as gone, which clears its contacts' company values.
        if (companyKind === 'deletion' || isCompanyPropertyRead(e.propertyName ?? '')) {
          changedCompanies.add(objectId)
        }
        continue
      }
      if (kind === null) {
        logger.info(
          { subscriptionType: e.subscriptionType, eventId: e.eventId },
          'HubSpot webhook of an unhandled type; acknowledged',
        )
        continue
      }
      if (isEchoOfOwnWrite(e, deps.config.HUBSPOT_APP_ID)) continue
      switch (kind) {
        case 'creation':
        case 'restore':
          toFetch.add(objectId)
          break
        case 'propertyChange': {
          const what = classifyPropertyChange(e.propertyName ?? '')
          // Profile and engagement changes alike: read the contact as HubSpot holds it now, so the
          // profile is whole and the engagement ids come from HubSpot's state (see mapping.ts).
          if (what === 'profile' || what === 'engagement') toFetch.add(objectId)
          break
        }
        case 'merge':
          merges.push(e)
          break
        case 'deletion':
        case 'privacyDeletion':
          erase.add(objectId)
          break
        case 'associationChange': {
          // The contact's companies changed: read it again (with its primary company).
          const contactId = contactOfCompanyAssociation(e)
          if (contactId !== null) toFetch.add(contactId)
          break
        }
      }
    }
    for (const id of erase) toFetch.delete(id)

    // Merges first: the surviving HubSpot id then names one Leadgrid contact.
    for (const m of merges) {
      const ids = [m.primaryObjectId, m.newObjectId, m.objectId, ...(m.mergedObjectIds ?? [])]
        .filter((x): x is number => x !== undefined)
        .map(String)
      const unique = [...new Set(ids)]
      await db.transaction().execute(async (trx) => {
        const known = await trx
          .selectFrom('contact_identities')
          .select('value')
          .where('workspace_id', '=', workspaceId)
          .where('kind', '=', 'hubspot')
          .where('value', 'in', unique)
          .execute()
        if (known.length === 0) return
        const resolved = await resolveContact(
          trx,
          workspaceId,
          unique.map((value) => ({ kind: 'hubspot' as const, value })),
          clock.now(),
        )
        await markForRescore(trx, workspaceId, [{ contactId: resolved.id, reason: 'merge' }])
      })
      if (m.newObjectId !== undefined) toFetch.add(String(m.newObjectId))
      else if (m.primaryObjectId !== undefined) toFetch.add(String(m.primaryObjectId))
    }

    if (toFetch.size > 0) {
      const client = connections.clientFor(connection)
      const contacts = await client.batchReadContacts([...toFetch], [...CONTACT_READ_PROPERTIES])
      const companies = await readContactCompanies(deps, connection, client, contacts)
      await ingestHubSpotContacts(deps, workspaceId, connection.account_id, contacts, companies)
    }

    // After the contact fetches, so links they just recorded are followed too.
    if (changedCompanies.size > 0) {
      await applyCompanyChanges(deps, connection, connections.clientFor(connection), [...changedCompanies])
    }

    if (erase.size > 0) {
      await db.transaction().execute(async (trx) => {
        const found = await trx
          .selectFrom('contact_identities')
          .select('contact_id')
          .where('workspace_id', '=', workspaceId)
          .where('kind', '=', 'hubspot')
          .where('value', 'in', [...erase])
          .execute()
        for (const contactId of new Set(found.map((f) => f.contact_id)))
          await eraseContact(trx, workspaceId, contactId)
        await trx
          .insertInto('audit_log')
          .values({
            workspace_id: workspaceId,
            actor: 'hubspot',
            action: 'contact.erased',
            // The HubSpot ids only: the person's data is gone.
            details: JSON.stringify({ hubspotIds: [...erase], contacts: found.length }),
          })
          .execute()
      })
    }

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

  return { receive, process }
}

export type HubSpotWebhookService = ReturnType<typeof createHubSpotWebhookService>
