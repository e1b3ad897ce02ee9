/**
 * Used OAuth state nonces (migrations/002): the database is what every web process shares, so a
 * state used on one is refused on all. Expired rows are swept on the way; they hold nothing secret.
 */
import type { Db } from './database.js'

/**
 * Records `nonce` as used. True the first time, false when it was already used (a replayed state).
 * The primary key decides, so two callbacks racing with one state get one true.
 */
export async function consumeOAuthStateNonce(
  db: Db,
  nonce: string,
  expiresAt: Date,
  now: Date,
): Promise<boolean> {
  await db.deleteFrom('oauth_state_nonces').where('expires_at', '<', now).execute()
  const inserted = await db
    .insertInto('oauth_state_nonces')
    .values({ nonce, expires_at: expiresAt })
    .onConflict((oc) => oc.column('nonce').doNothing())
    .returning('nonce')
    .executeTakeFirst()
  return inserted !== undefined
}
