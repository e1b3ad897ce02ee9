/**
 * Workspaces (tenants) and their secret API keys (migrations/001 `workspaces`, `api_keys`). Every
 * read is by the workspace's id or by a key's hash; nothing here lists across workspaces except
 * `anyWorkspaceExists`, which only says whether the database is still empty.
 */
import type { Transaction } from 'kysely'
import type { Db } from './database.js'
import type { Database } from './schema.js'

type Executor = Db | Transaction<Database>

/** Inserts a workspace with a placeholder public key (the real one needs the id) and returns its id. */
export async function insertWorkspace(
  trx: Executor,
  row: { name: string; placeholderPublicKey: string; isDemo: boolean },
): Promise<string> {
  const ws = await trx
    .insertInto('workspaces')
    .values({ name: row.name, public_key: row.placeholderPublicKey, is_demo: row.isDemo })
    .returning('id')
    .executeTakeFirstOrThrow()
  return ws.id
}

export async function setWorkspacePublicKey(
  trx: Executor,
  workspaceId: string,
  publicKey: string,
): Promise<void> {
  await trx.updateTable('workspaces').set({ public_key: publicKey }).where('id', '=', workspaceId).execute()
}

export async function insertApiKey(
  trx: Executor,
  row: { workspaceId: string; name: string; hash: string; prefix: string },
): Promise<void> {
  await trx
    .insertInto('api_keys')
    .values({ workspace_id: row.workspaceId, name: row.name, key_hash: row.hash, key_prefix: row.prefix })
    .execute()
}

/** The workspace of a key that is not revoked, found by the key's hash; null otherwise. */
export async function workspaceOfApiKeyHash(
  db: Db,
  workspaceId: string,
  keyHash: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('api_keys')
    .select(['workspace_id'])
    .where('workspace_id', '=', workspaceId)
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row?.workspace_id ?? null
}

/** The workspace whose public tracking key this is, or null. */
export async function workspaceOfPublicKey(
  db: Db,
  workspaceId: string,
  publicKey: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('workspaces')
    .select('id')
    .where('id', '=', workspaceId)
    .where('public_key', '=', publicKey)
    .executeTakeFirst()
  return row?.id ?? null
}

/** A workspace's name and public key; undefined when it does not exist. `workspaceId` must be a uuid. */
export async function findWorkspace(
  db: Db,
  workspaceId: string,
): Promise<{ id: string; name: string; publicKey: string } | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .select(['id', 'name', 'public_key'])
    .where('id', '=', workspaceId)
    .executeTakeFirst()
  return row && { id: row.id, name: row.name, publicKey: row.public_key }
}

/** Whether any workspace exists at all (a fresh database has none). */
export async function anyWorkspaceExists(db: Db): Promise<boolean> {
  const row = await db.selectFrom('workspaces').select('id').limit(1).executeTakeFirst()
  return row !== undefined
}
