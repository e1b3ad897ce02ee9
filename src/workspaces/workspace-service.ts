/**
 * Workspaces (tenants) and their credentials. A new workspace starts with the Starter grid
 * published, one secret API key and one public tracking key. Keys are shown once.
 */

import type { Transaction } from 'kysely'
import { hashSecret, newApiKey, newPublicKey, workspaceIdOfKey } from '../crypto/api-keys.js'
import { appendAudit } from '../db/audit-repository.js'
import type { Db } from '../db/database.js'
import { createDraftGrid, publishGrid } from '../db/grid-repository.js'
import type { Database } from '../db/schema.js'
import {
  findWorkspace,
  insertApiKey,
  insertWorkspace,
  setWorkspacePublicKey,
  workspaceOfApiKeyHash,
  workspaceOfPublicKey,
} from '../db/workspace-repository.js'
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
  // The public key needs the id; a placeholder unique value is replaced just below.
  const workspaceId = await insertWorkspace(trx, {
    name: input.name,
    placeholderPublicKey: `pending-${crypto.randomUUID()}`,
    isDemo: input.isDemo ?? false,
  })
  const publicKey = newPublicKey(workspaceId)
  await setWorkspacePublicKey(trx, workspaceId, publicKey)
  const apiKey = newApiKey(workspaceId)
  await insertApiKey(trx, { workspaceId, name: 'Default key', hash: apiKey.hash, prefix: apiKey.prefix })
  const grid = await createDraftGrid(trx, workspaceId, starterGrid, 'Starter grid')
  await publishGrid(trx, workspaceId, grid.id, input.now)
  await appendAudit(trx, workspaceId, {
    actor: 'system',
    action: 'workspace.created',
    details: { name: input.name },
  })
  return { workspaceId, apiKey: apiKey.key, publicKey }
}

/** The workspace a secret API key opens, or null (unknown, malformed or revoked key). */
export async function authenticateApiKey(db: Db, key: string): Promise<string | null> {
  const workspaceId = workspaceIdOfKey(key, 'secret')
  if (!workspaceId) return null
  return workspaceOfApiKeyHash(db, workspaceId, hashSecret(key))
}

/** The workspace a public tracking key belongs to, or null. */
export async function authenticatePublicKey(db: Db, key: string): Promise<string | null> {
  const workspaceId = workspaceIdOfKey(key, 'public')
  if (!workspaceId) return null
  return workspaceOfPublicKey(db, workspaceId, key)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether a workspace exists; a malformed id is simply absent (never a database error). */
export async function workspaceExists(db: Db, workspaceId: string): Promise<boolean> {
  if (!UUID.test(workspaceId)) return false
  return (await findWorkspace(db, workspaceId)) !== undefined
}
