/**
 * The write-back outbox (migrations/001 `outbox`) as the settings page acts on it: parked rows —
 * values a CRM kept refusing (see hubspot-sync-service.ts) — are never dropped, and an admin can send
 * them back to the queue once the cause is fixed (a property deleted in the CRM, a revoked scope).
 */
import type { Db } from './database.js'

/**
 * Moves one connection's parked rows back to pending with a fresh attempt count, so the next flush
 * tries them again (and parks them again after as many failures). Returns how many moved.
 */
export async function retryParkedOutboxRows(
  db: Db,
  workspaceId: string,
  connectionId: string,
  now: Date,
): Promise<number> {
  const moved = await db
    .updateTable('outbox')
    .set({ status: 'pending', attempts: 0, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where('status', '=', 'parked')
    .executeTakeFirst()
  return Number(moved.numUpdatedRows)
}
