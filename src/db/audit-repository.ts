/**
 * The audit log (migrations/001 `audit_log`): who did what and when in a workspace. Rows are only
 * ever appended; the settings page reads the newest first.
 */
import type { Transaction } from 'kysely'
import type { Db } from './database.js'
import type { Database } from './schema.js'

type Executor = Db | Transaction<Database>

export interface AuditEntry {
  id: string
  at: Date
  actor: string
  action: string
  details: Record<string, unknown>
}

export async function appendAudit(
  db: Executor,
  workspaceId: string,
  /** Without `at`, the database's own time of the insert (its column default). */
  entry: { actor: string; action: string; details: Record<string, unknown>; at?: Date },
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      workspace_id: workspaceId,
      actor: entry.actor,
      action: entry.action,
      details: JSON.stringify(entry.details),
      ...(entry.at ? { at: entry.at } : {}),
    })
    .execute()
}

export async function listAudit(db: Executor, workspaceId: string, limit = 100): Promise<AuditEntry[]> {
  return db
    .selectFrom('audit_log')
    .select(['id', 'at', 'actor', 'action', 'details'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}
