/**
 * Workspaces (tenants) and their credentials. A new workspace starts with the Starter grid
 * published (SPEC §5), one secret API key and one public tracking key. Keys are shown once.
 */

import type { Transaction } from 'kysely'
import { hashSecret, newApiKey, newPublicKey, workspaceIdOfKey } from '../crypto/api-keys.js'
import type { Db } from '../db/database.js'
import { createDraftGrid, publishGrid } from '../db/grid-repository.js'
import type { Database } from '../db/schema.js'
import { starterGrid } from '../scoring/index.js'

export interface CreatedWorkspace {
  workspaceId: string
  apiKey: string
  publicKey: string
}

export interface NewWorkspace {
  name: string
  isDemo?: boolean
  now: Date
}

export async function createWorkspace(db: Db, input: NewWorkspace): Promise<CreatedWorkspace> {
  return db.transaction().execute((trx) => createWorkspaceIn(trx, input))
}

/** Creates the workspace inside the caller's transaction (an install creates it with its connection). */
export async function createWorkspaceIn(
  trx: Transaction<Database>,
  input: NewWorkspace,
): Promise<CreatedWorkspace> {
  const ws = await trx
    .insertInto('workspaces')
    // The public key needs the id; a placeholder unique value is replaced just below.
    .values({
      name: input.name,
      public_key: `pending-${crypto.randomUUID()}`,
      is_demo: input.isDemo ?? false,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const publicKey = newPublicKey(ws.id)
  await trx.updateTable('workspaces').set({ public_key: publicKey }).where('id', '=', ws.id).execute()
  const apiKey = newApiKey(ws.id)
  await trx
    .insertInto('api_keys')
    .values({ workspace_id: ws.id, name: 'Default key', key_hash: apiKey.hash, key_prefix: apiKey.prefix })
    .execute()
  const grid = await createDraftGrid(trx, ws.id, starterGrid, 'Starter grid (SPEC §5)')
  await publishGrid(trx, ws.id, grid.id, input.now)
  await trx
    .insertInto('audit_log')
    .values({
      workspace_id: ws.id,
      actor: 'system',
      action: 'workspace.created',
      details: JSON.stringify({ name: input.name }),
    })
    .execute()
  return { workspaceId: ws.id, apiKey: apiKey.key, publicKey }
}

/** The workspace a secret API key opens, or null (unknown, malformed or revoked key). */
export async function authenticateApiKey(db: Db, key: string): Promise<string | null> {
  const workspaceId = workspaceIdOfKey(key, 'secret')
  if (!workspaceId) return null
  const row = await db
    .selectFrom('api_keys')
    .select(['workspace_id'])
    .where('workspace_id', '=', workspaceId)
    .where('key_hash', '=', hashSecret(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row?.workspace_id ?? null
}

/** The workspace a public tracking key belongs to, or null. */
export async function authenticatePublicKey(db: Db, key: string): Promise<string | null> {
  const workspaceId = workspaceIdOfKey(key, 'public')
  if (!workspaceId) return null
  const row = await db
    .selectFrom('workspaces')
    .select('id')
    .where('id', '=', workspaceId)
    .where('public_key', '=', key)
    .executeTakeFirst()
  return row?.id ?? null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether a workspace exists; a malformed id is simply absent (never a database error). */
export async function workspaceExists(db: Db, workspaceId: string): Promise<boolean> {
  if (!UUID.test(workspaceId)) return false
  const row = await db.selectFrom('workspaces').select('id').where('id', '=', workspaceId).executeTakeFirst()
  return row !== undefined
}
