/**
 * Events are immutable and stored once: the dedupe key is part of the primary key, and inserts
 * skip what is already there, so a sender's retry never double-counts.
 */
import { sql, type Transaction } from 'kysely'
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

/**
 * Inserts events in one statement whatever their number: seven arrays unnested, so the statement
 * has seven parameters and one plan instead of seven per row. Returns the contact ids that
 * received at least one new event (duplicates — within the batch too — are skipped).
 */
export async function insertEvents(
  trx: Transaction<Database>,
  workspaceId: string,
  events: NewEvent[],
): Promise<{ inserted: number; contactIds: string[] }> {
  if (events.length === 0) return { inserted: 0, contactIds: [] }
  const { rows } = await sql<{ contact_id: string }>`
    INSERT INTO events (workspace_id, dedupe_key, contact_id, type, occurred_at, attributes, source)
    SELECT ${workspaceId}, dedupe_key, contact_id, type, occurred_at, attributes, source
    FROM unnest(${events.map((e) => e.dedupeKey)}::text[], ${events.map((e) => e.contactId)}::uuid[],
                ${events.map((e) => e.type)}::text[], ${events.map((e) => e.occurredAt)}::timestamptz[],
                ${events.map((e) => JSON.stringify(e.attributes ?? {}))}::jsonb[], ${events.map((e) => e.source)}::text[])
      AS v(dedupe_key, contact_id, type, occurred_at, attributes, source)
    ON CONFLICT (workspace_id, dedupe_key) DO NOTHING
    RETURNING contact_id`.execute(trx)
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
