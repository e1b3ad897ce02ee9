/**
 * The common ingest — events of people who are known, or new and named by identities nobody
 * holds — written in ONE autocommitted statement: identity locks, new contacts, their identities,
 * the events and the dirty marks, as data-modifying CTEs of one INSERT (an API batch
 * used to cost eight round trips — BEGIN, locks, lookup, contacts, identities, events, marks,
 * COMMIT — and with a few senders the request's latency, not the database, bounded the rate).
 *
 * It is optimistic. The plan comes from a lookup read without locks just before; the statement
 * then fails as a whole, and the caller runs the transactional path (ingestion-store.ts), if the
 * plan went stale in between:
 *  - an identity it thought new was created meanwhile → unique violation on contact_identities
 *    (the statement's advisory locks wait for a transactional writer holding that identity, and
 *    its commit is then seen by the unique index, not hidden by the snapshot);
 *  - a contact it thought alive was merged away or erased → foreign-key violation (a merge locks
 *    the absorbed contact FOR UPDATE before moving its events, contact-repository.ts, so an event
 *    inserted here is either moved by the merge or refused, never deleted with the contact);
 *  - a deadlock or serialization failure.
 * Whatever the plan cannot do in one statement — a merge, a profile change on a known contact, a
 * first-seen time moving back — it does not try (`null`, nothing written).
 */
import { sql } from 'kysely'
import {
  type BulkResolveRequest,
  identityLockKeys,
  insertNewContacts,
  insertNewIdentities,
  lookupIdentities,
  planBulkResolve,
} from './contact-bulk-repository.js'
import type { Db } from './database.js'
import type { NewEvent } from './event-repository.js'

/** SQLSTATEs meaning the optimistic plan went stale: the statement wrote nothing; run the transactional path. */
const STALE_PLAN = new Set(['23505', '23503', '40P01', '40001'])

function isStalePlanError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && STALE_PLAN.has(code)
}

/**
 * Stores the events of these resolve requests in one statement; `eventsOf(contactIds)` builds the
 * event rows once each request's contact is known (one id per request, in order). Returns null,
 * having written nothing, when the batch needs the transactional path.
 */
export async function ingestEventsInOneStatement(
  db: Db,
  workspaceId: string,
  requests: BulkResolveRequest[],
  eventsOf: (contactIds: string[]) => NewEvent[],
): Promise<{ inserted: number; contactIds: string[] } | null> {
  const plan = planBulkResolve(workspaceId, requests, await lookupIdentities(db, workspaceId, requests))
  if (!plan || plan.toPatch.length > 0 || plan.earlier.length > 0) return null
  const events = eventsOf(plan.landed.map((l) => l.contact.id))
  if (events.length === 0) return { inserted: 0, contactIds: [] }
  // `locked` is one row every insert below is joined with: no row is written before the locks are
  // held. Sorted keys, as the transactional path takes them, so the two cannot deadlock on them.
  const writes = [
    sql`locked AS MATERIALIZED (
      SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) AS n
      FROM unnest(${identityLockKeys(workspaceId, requests)}::text[]) AS k)`,
  ]
  if (plan.created.length > 0)
    writes.push(sql`new_contacts AS (${insertNewContacts(workspaceId, plan.created)}, locked RETURNING 1)`)
  // No ON CONFLICT: an identity someone else created since the lookup must abort the statement.
  if (plan.newIdentities.length > 0)
    writes.push(
      sql`new_identities AS (${insertNewIdentities(workspaceId, plan.newIdentities)}, locked RETURNING 1)`,
    )
  writes.push(sql`inserted AS (
      INSERT INTO events (workspace_id, dedupe_key, contact_id, type, occurred_at, attributes, source)
      SELECT ${workspaceId}, dedupe_key, contact_id, type, occurred_at, attributes, source
      FROM unnest(${events.map((e) => e.dedupeKey)}::text[], ${events.map((e) => e.contactId)}::uuid[],
                  ${events.map((e) => e.type)}::text[], ${events.map((e) => e.occurredAt)}::timestamptz[],
                  ${events.map((e) => JSON.stringify(e.attributes ?? {}))}::jsonb[], ${events.map((e) => e.source)}::text[])
        AS v(dedupe_key, contact_id, type, occurred_at, attributes, source), locked
      ON CONFLICT (workspace_id, dedupe_key) DO NOTHING
      RETURNING contact_id)`)
  // In contact-id order, as markForRescore writes them (rescore-mark-repository.ts).
  writes.push(sql`marked AS (
      INSERT INTO contact_rescore_marks (workspace_id, contact_id, reason)
      SELECT DISTINCT ${workspaceId}::uuid, contact_id, 'event' FROM inserted ORDER BY 2
      ON CONFLICT (workspace_id, contact_id) DO UPDATE SET reason = EXCLUDED.reason)`)
  try {
    const { rows } = await sql<{ contact_id: string }>`
      WITH ${sql.join(writes, sql`, `)}
      SELECT contact_id::text AS contact_id FROM inserted`.execute(db)
    return { inserted: rows.length, contactIds: [...new Set(rows.map((r) => r.contact_id))] }
  } catch (err) {
    if (isStalePlanError(err)) return null
    throw err
  }
}
