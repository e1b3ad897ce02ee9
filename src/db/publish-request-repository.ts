/**
 * The two-person rule's storage: the workspace switch (workspaces.settings.publishApproval) and the
 * publish requests awaiting a second admin (migrations/008 `publish_requests`).
 */
import { sql } from 'kysely'
import type { Db } from './database.js'

export interface PublishRequest {
  id: string
  definition: unknown
  note: string | null
  requestedBy: string
  requestedAt: Date
  status: 'pending' | 'approved' | 'rejected'
  decidedBy: string | null
  decidedAt: Date | null
  gridId: string | null
}

const COLUMNS = [
  'id',
  'definition',
  'note',
  'requested_by as requestedBy',
  'requested_at as requestedAt',
  'status',
  'decided_by as decidedBy',
  'decided_at as decidedAt',
  'grid_id as gridId',
] as const

export async function publishApprovalRequired(db: Db, workspaceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('workspaces')
    .select('settings')
    .where('id', '=', workspaceId)
    .executeTakeFirst()
  return row?.settings?.['publishApproval'] === true
}

/** Sets the switch, keeping the workspace's other settings; returns whether it changed. */
export async function setPublishApprovalRequired(db: Db, workspaceId: string, on: boolean): Promise<boolean> {
  const res = await db
    .updateTable('workspaces')
    .set({ settings: sql`settings || jsonb_build_object('publishApproval', ${on}::boolean)` })
    .where('id', '=', workspaceId)
    .where(sql<boolean>`coalesce((settings->>'publishApproval')::boolean, false) <> ${on}::boolean`)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}

export async function insertPublishRequest(
  db: Db,
  workspaceId: string,
  r: { definition: unknown; note: string | null; requestedBy: string; now: Date },
): Promise<PublishRequest> {
  return db
    .insertInto('publish_requests')
    .values({
      workspace_id: workspaceId,
      definition: JSON.stringify(r.definition),
      note: r.note,
      requested_by: r.requestedBy,
      requested_at: r.now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}

export async function listPendingPublishRequests(db: Db, workspaceId: string): Promise<PublishRequest[]> {
  return db
    .selectFrom('publish_requests')
    .select(COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'pending')
    .orderBy('requested_at')
    .execute()
}

export async function getPublishRequest(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<PublishRequest | undefined> {
  return db
    .selectFrom('publish_requests')
    .select(COLUMNS)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/**
 * Decides a pending request, atomically: of two admins clicking at once, one wins and the other gets
 * undefined. Returns the request as it was claimed.
 */
export async function decidePublishRequest(
  db: Db,
  workspaceId: string,
  id: string,
  decision: { status: 'approved' | 'rejected'; by: string; now: Date },
): Promise<PublishRequest | undefined> {
  return db
    .updateTable('publish_requests')
    .set({ status: decision.status, decided_by: decision.by, decided_at: decision.now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning(COLUMNS)
    .executeTakeFirst()
}

/** After the approved definition is published: the version it made. */
export async function setPublishRequestGrid(db: Db, workspaceId: string, id: string, gridId: string) {
  await db
    .updateTable('publish_requests')
    .set({ grid_id: gridId })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute()
}

/** Puts a claimed request back to pending when publishing it failed (nothing was published). */
export async function reopenPublishRequest(db: Db, workspaceId: string, id: string) {
  await sql`UPDATE publish_requests SET status = 'pending', decided_by = NULL, decided_at = NULL
    WHERE workspace_id = ${workspaceId} AND id = ${id}`.execute(db)
}
