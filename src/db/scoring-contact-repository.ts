/**
 * Contacts read to be scored outside the bulk passes (those read pages as JSON text,
 * bulk-score-repository.ts): the small rescore path, the challenger's shadow, backtests and
 * simulations. Rows come back in the engine's terms (`ContactToScore`), with the email for the
 * views that list contacts.
 */
import type { Transaction } from 'kysely'
import type { ContactToScore } from '../scoring/index.js'
import type { Db } from './database.js'
import type { Database } from './schema.js'

type Executor = Db | Transaction<Database>

export interface ContactRecord extends ContactToScore {
  email: string | null
}

const COLUMNS = ['id', 'email', 'properties', 'first_seen_at'] as const

const recordOf = (row: {
  id: string
  email: string | null
  properties: ContactToScore['profile']
  first_seen_at: Date
}): ContactRecord => ({
  id: row.id,
  email: row.email,
  profile: row.properties,
  firstSeenAt: row.first_seen_at,
})

/** These contacts of the workspace (those gone are left out), in no particular order. */
export async function loadContactsToScore(
  db: Executor,
  workspaceId: string,
  contactIds: string[],
): Promise<ContactRecord[]> {
  if (contactIds.length === 0) return []
  const rows = await db
    .selectFrom('contacts')
    .select(COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', contactIds)
    .execute()
  return rows.map(recordOf)
}

/**
 * These contacts, each locked against another writer — skipping those a writer holds (a merge
 * deleting one, an ingestion changing it): the caller never waits for a contact row, so it cannot
 * deadlock with a writer that waits for what the caller holds.
 */
export async function lockContactsToScore(
  trx: Transaction<Database>,
  workspaceId: string,
  contactIds: string[],
): Promise<ContactRecord[]> {
  if (contactIds.length === 0) return []
  const rows = await trx
    .selectFrom('contacts')
    .select(COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', contactIds)
    .forNoKeyUpdate()
    .skipLocked()
    .execute()
  return rows.map(recordOf)
}

/** Which of these contacts still exist (not merged into another, not erased). */
export async function existingContactIds(
  db: Executor,
  workspaceId: string,
  contactIds: string[],
): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set()
  const rows = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', contactIds)
    .execute()
  return new Set(rows.map((r) => r.id))
}

/** The `limit` contacts changed last. */
export async function recentContacts(
  db: Executor,
  workspaceId: string,
  limit: number,
): Promise<ContactRecord[]> {
  const rows = await db
    .selectFrom('contacts')
    .select(COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute()
  return rows.map(recordOf)
}

/** How many contacts the workspace has. */
export async function countContacts(db: Executor, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('contacts')
    .select((eb) => eb.fn.countAll<string>().as('total'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow()
  return Number(row.total)
}
