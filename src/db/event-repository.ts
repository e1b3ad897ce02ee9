/**
 * Events are immutable and stored once: the dedupe key is part of the primary key, and inserts
 * skip what is already there, so a sender's retry never double-counts.
 */
import type { Transaction } from 'kysely'
import type { EventType, LeadEvent } from '../domain/lead-event.js'
import type { Db } from './database.js'
import type { Database } from './schema.js'

export interface NewEvent {
  dedupeKey: string
  contactId: string
  type: EventType
  occurredAt: string
  attributes: LeadEvent['attributes']
  source: string
}

/** Inserts events; returns the contact ids that received at least one new event. */
export async function insertEvents(
  trx: Transaction<Database>,
  workspaceId: string,
  events: NewEvent[],
): Promise<{ inserted: number; contactIds: string[] }> {
  if (events.length === 0) return { inserted: 0, contactIds: [] }
  const rows = await trx
    .insertInto('events')
    .values(
      events.map((e) => ({
        workspace_id: workspaceId,
        dedupe_key: e.dedupeKey,
        contact_id: e.contactId,
        type: e.type,
        occurred_at: e.occurredAt,
        attributes: JSON.stringify(e.attributes),
        source: e.source,
      })),
    )
    .onConflict((oc) => oc.columns(['workspace_id', 'dedupe_key']).doNothing())
    .returning('contact_id')
    .execute()
  return { inserted: rows.length, contactIds: [...new Set(rows.map((r) => r.contact_id))] }
}

/** The events of these contacts that can still count: occurred after `since` (the grid's lookback). */
export async function loadEventsForContacts(
  db: Db | Transaction<Database>,
  workspaceId: string,
  contactIds: string[],
  since: Date,
): Promise<Map<string, LeadEvent[]>> {
  const byContact = new Map<string, LeadEvent[]>(contactIds.map((id) => [id, []]))
  if (contactIds.length === 0) return byContact
  const rows = await db
    .selectFrom('events')
    .select(['contact_id', 'type', 'occurred_at', 'attributes'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    .where('occurred_at', '>', since)
    .orderBy('occurred_at')
    .execute()
  for (const r of rows) {
    byContact.get(r.contact_id)?.push({
      type: r.type as EventType,
      occurredAt: r.occurred_at.toISOString(),
      attributes: r.attributes,
    })
  }
  return byContact
}
