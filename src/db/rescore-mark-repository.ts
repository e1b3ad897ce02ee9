/**
 * Rescore marks: which contacts need a rescore, and why (migrations/003_contact_rescore_marks.sql).
 *
 * A mark lives in its own row, not on the contact, so marking never waits for a contact row held
 * by ingestion (identity resolution, profile patch) — the cross-order wait that made publish and
 * ingestion deadlock. Every writer takes mark locks in contact-id order, within
 * one statement (ingestion marks once, at the end of its transaction; publish and the sweep mark
 * a workspace with one ordered INSERT … SELECT), so two writers can never wait for each other in
 * a cycle: whoever holds the lower id goes first. That also keeps marking set-based, which a
 * million-contact workspace needs (one statement of narrow rows, not a million contact rewrites).
 *
 * Why ON CONFLICT DO UPDATE and not DO NOTHING: a rescorer holds the marks it is working on
 * (FOR UPDATE SKIP LOCKED) and deletes them when it commits. DO NOTHING would see the existing mark,
 * do nothing, and the rescorer — which read the events or the grid before this commit — would then
 * delete it: the change would never be scored. DO UPDATE waits for the rescorer's lock, finds the
 * mark deleted, and inserts a fresh one, so a crash or a race always leaves the contact marked.
 */
import { sql, type Transaction } from 'kysely'
import type { Db } from './database.js'
import type { Database } from './schema.js'

type Executor = Db | Transaction<Database>

export interface RescoreMark {
  contactId: string
  reason: string
}

/**
 * Marks these contacts (one statement, locks in contact-id order). When a contact appears twice,
 * the last reason given wins, as the last change is what the history should name.
 */
export async function markForRescore(db: Executor, workspaceId: string, marks: RescoreMark[]): Promise<void> {
  if (marks.length === 0) return
  const byId = new Map(marks.map((m) => [m.contactId, m.reason]))
  // uuid order in PostgreSQL is the order of their lowercase text, so this sort is the index order.
  const rows = [...byId].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  await db
    .insertInto('contact_rescore_marks')
    .values(rows.map(([contactId, reason]) => ({ workspace_id: workspaceId, contact_id: contactId, reason })))
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'contact_id']).doUpdateSet({ reason: (eb) => eb.ref('excluded.reason') }),
    )
    .execute()
}

/**
 * Marks every contact of the workspace (publish, sweep, manual rescore) in one set-based statement,
 * in contact-id order. `keepReason`: a contact already marked keeps its reason (the sweep should
 * not hide that an event is what changed).
 */
export async function markWorkspaceForRescore(
  db: Executor,
  workspaceId: string,
  reason: string,
  options: { keepReason?: boolean } = {},
): Promise<void> {
  const onConflict = options.keepReason
    ? sql`DO UPDATE SET reason = contact_rescore_marks.reason`
    : sql`DO UPDATE SET reason = EXCLUDED.reason`
  await sql`
    INSERT INTO contact_rescore_marks (workspace_id, contact_id, reason)
    SELECT workspace_id, id, ${reason} FROM contacts WHERE workspace_id = ${workspaceId} ORDER BY id
    ON CONFLICT (workspace_id, contact_id) ${onConflict}`.execute(db)
}

/**
 * Takes up to `limit` marks, oldest first, locked for this transaction; marks another rescorer
 * holds are skipped, so parallel rescorers share the work instead of waiting.
 */
export async function takeMarks(
  trx: Transaction<Database>,
  workspaceId: string,
  limit: number,
): Promise<RescoreMark[]> {
  const rows = await trx
    .selectFrom('contact_rescore_marks')
    .select(['contact_id', 'reason'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('marked_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()
  return rows.map((r) => ({ contactId: r.contact_id, reason: r.reason }))
}

/** Removes marks this transaction took (and holds, so nothing else can have changed them). */
export async function clearMarks(trx: Transaction<Database>, workspaceId: string, contactIds: string[]) {
  if (contactIds.length === 0) return
  await trx
    .deleteFrom('contact_rescore_marks')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    .execute()
}

/** Workspaces with at least one marked contact (the catch-up job's question). */
export async function workspacesWithMarks(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('contact_rescore_marks').select('workspace_id').distinct().execute()
  return rows.map((r) => r.workspace_id)
}

/** How many contacts of the workspace wait for a rescore. */
export async function countMarks(db: Executor, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('contact_rescore_marks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
