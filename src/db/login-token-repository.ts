/**
 * One-time sign-in links (migrations/006). Only the SHA-256 of a token is stored; redeeming is one
 * UPDATE … WHERE used_at IS NULL, so two clicks on the same link cannot both sign in.
 */
import type { Db } from './database.js'

export type AppRole = 'admin' | 'viewer'

export async function insertLoginToken(
  db: Db,
  row: { workspaceId: string; tokenHash: string; role: AppRole; actor: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('login_tokens')
    .values({
      workspace_id: row.workspaceId,
      token_hash: row.tokenHash,
      role: row.role,
      actor: row.actor,
      created_at: row.now,
      expires_at: row.expiresAt,
    })
    .execute()
}

/** Marks the token used and returns what it grants, or null (unknown, expired or already used). */
export async function redeemLoginToken(
  db: Db,
  tokenHash: string,
  now: Date,
): Promise<{ workspaceId: string; role: AppRole; actor: string } | null> {
  const row = await db
    .updateTable('login_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['workspace_id', 'role', 'actor'])
    .executeTakeFirst()
  return row ? { workspaceId: row.workspace_id, role: row.role, actor: row.actor } : null
}

/** Spent and expired tokens are useless; dropping them keeps the table small. */
export async function deleteStaleLoginTokens(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('login_tokens').where('expires_at', '<', before).execute()
}
