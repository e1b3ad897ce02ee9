/**
 * Reads behind the connections panel: each CRM connection with the health fields that exist
 * (status, token expiry, provisioning, last webhook, write-back backlog, last error), and when the
 * tracking snippet was last heard from. Never returns tokens, even encrypted.
 */
import type { Db } from './database.js'

export async function listConnectionHealth(db: Db, workspaceId: string) {
  const rows = await db
    .selectFrom('connections')
    .select([
      'id',
      'provider',
      'account_id',
      'status',
      'token_expires_at',
      'scopes',
      'provisioning',
      'backfill',
      'last_webhook_at',
      'last_error',
      'last_error_at',
      'created_at',
    ])
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute()
  const backlog = await db
    .selectFrom('outbox')
    .select(['connection_id', 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspace_id', '=', workspaceId)
    .groupBy(['connection_id', 'status'])
    .execute()
  return rows.map((r) => ({
    ...r,
    pendingWrites: Number(backlog.find((b) => b.connection_id === r.id && b.status === 'pending')?.n ?? 0),
    parkedWrites: Number(backlog.find((b) => b.connection_id === r.id && b.status === 'parked')?.n ?? 0),
  }))
}

/** The newest event the tracking snippet delivered (`source = tracking`), or null. */
export async function lastTrackingHit(db: Db, workspaceId: string, source: string): Promise<Date | null> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('received_at').as('at'))
    .where('workspace_id', '=', workspaceId)
    .where('source', '=', source)
    .executeTakeFirst()
  return row?.at ? new Date(row.at as unknown as string) : null
}
