/**
 * The write-back outbox's SQL, shared by every provider: what waits to be written, parking what
 * fails, and — once the CRM accepted a batch — recording what it now holds and clearing exactly the
 * rows that were sent (set-based: one statement each, whatever the batch size).
 */
import { sql, type Transaction } from 'kysely'
import type { CrmPropertyValues } from '../domain/crm.js'
import type { Db } from './database.js'
import type { Database } from './schema.js'

type Queryable = Db | Transaction<Database>

export interface OutboxRow {
  contactId: string
  crmId: string
  properties: CrmPropertyValues
  /** `updated_at` to the microsecond, as text: a row is cleared only if nothing newer replaced it. */
  version: string
}

/**
 * The rows a flush sends: pending ones, and those parked only because the CRM kept failing
 * (`parked_retryable`) — so a 5xx storm's casualties resume by themselves on the first flush after the
 * CRM recovers. They stay parked (visible in the connection's health) until a send succeeds; a flush
 * deferred by a retryable failure comes back on its own, so such rows are probed at that pace.
 */
export async function pendingOutboxRows(
  db: Queryable,
  workspaceId: string,
  connectionId: string,
  limit: number,
): Promise<OutboxRow[]> {
  const rows = await db
    .selectFrom('outbox')
    .select(['contact_id', 'crm_id', 'properties', sql<string>`updated_at::text`.as('version')])
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where((eb) => eb.or([eb('status', '=', 'pending'), eb('parked_retryable', '=', true)]))
    .orderBy('updated_at')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    contactId: r.contact_id,
    crmId: r.crm_id,
    properties: r.properties as CrmPropertyValues,
    version: r.version,
  }))
}

/**
 * Counts a failed attempt on these rows; `force` parks them at once (a permanent refusal), otherwise
 * they park after `maxAttempts`. Parked rows stay visible in the connection's health and can be retried;
 * those parked without `force` (the CRM kept failing) are retried by the next flush as well.
 */
export async function parkOutboxRows(
  db: Queryable,
  workspaceId: string,
  connectionId: string,
  contactIds: string[],
  message: string,
  opts: { force: boolean; maxAttempts: number; now: Date },
): Promise<void> {
  if (contactIds.length === 0) return
  await db
    .updateTable('outbox')
    .set({
      attempts: sql`attempts + 1`,
      last_error: message.slice(0, 1000),
      status: opts.force
        ? 'parked'
        : sql`CASE WHEN attempts + 1 >= ${opts.maxAttempts} THEN 'parked' ELSE 'pending' END`,
      parked_retryable: !opts.force,
      updated_at: opts.now,
    })
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where('contact_id', 'in', contactIds)
    .execute()
}

/** Parked rows back to pending (the settings page's "retry"). Returns how many. */
export async function retryParkedOutboxRows(
  db: Queryable,
  workspaceId: string,
  connectionId: string,
  now: Date,
): Promise<number> {
  const res = await db
    .updateTable('outbox')
    .set({ status: 'pending', attempts: 0, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where('status', '=', 'parked')
    .executeTakeFirst()
  return Number(res.numUpdatedRows)
}

/**
 * After the CRM accepted these rows: merge what was sent into what the CRM holds, then delete the
 * rows that were sent — matched on their version, so values that arrived meanwhile stay pending.
 */
export async function recordWrittenRows(
  trx: Transaction<Database>,
  workspaceId: string,
  connectionId: string,
  rows: { contactId: string; version: string; properties: CrmPropertyValues }[],
  now: Date,
): Promise<void> {
  if (rows.length === 0) return
  const contactIds = rows.map((r) => r.contactId)
  const written = JSON.stringify(rows.map((r) => ({ contact_id: r.contactId, properties: r.properties })))
  await sql`
    INSERT INTO crm_written_values (workspace_id, connection_id, contact_id, properties, written_at)
    SELECT ${workspaceId}::uuid, ${connectionId}::uuid, w.contact_id, w.properties, ${now}::timestamptz
    FROM jsonb_to_recordset(${written}::jsonb) AS w(contact_id uuid, properties jsonb)
    ON CONFLICT (workspace_id, connection_id, contact_id) DO UPDATE
      SET properties = crm_written_values.properties || excluded.properties,
          written_at = excluded.written_at`.execute(trx)
  await sql`
    DELETE FROM outbox o
    USING unnest(${contactIds}::uuid[], ${rows.map((r) => r.version)}::timestamptz[]) AS s(contact_id, version)
    WHERE o.workspace_id = ${workspaceId} AND o.connection_id = ${connectionId}
      AND o.contact_id = s.contact_id AND o.updated_at = s.version`.execute(trx)
}

/** What Leadgrid last wrote to the CRM for these contacts of a connection (property → value). */
export async function writtenValuesOf(
  db: Queryable,
  workspaceId: string,
  connectionId: string,
  contactIds: string[],
): Promise<Map<string, CrmPropertyValues>> {
  if (contactIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('crm_written_values')
    .select(['contact_id', 'properties'])
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where('contact_id', 'in', contactIds)
    .execute()
  return new Map(rows.map((r) => [r.contact_id, r.properties]))
}

export interface NewOutboxRow {
  workspace_id: string
  connection_id: string
  contact_id: string
  crm_id: string
  properties: CrmPropertyValues
}

/**
 * Upserts pending rows in one statement (a publish rescores every contact): the newest values win,
 * merged over what is still waiting, and the row starts its attempts over.
 */
export async function upsertOutboxRows(db: Queryable, rows: NewOutboxRow[]): Promise<void> {
  if (rows.length === 0) return
  await db
    .insertInto('outbox')
    .values(rows.map((r) => ({ ...r, properties: JSON.stringify(r.properties) })))
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'connection_id', 'contact_id']).doUpdateSet((eb) => ({
        properties: sql<string>`outbox.properties || excluded.properties`,
        crm_id: eb.ref('excluded.crm_id'),
        status: 'pending',
        attempts: 0,
        updated_at: new Date(),
      })),
    )
    .execute()
}
