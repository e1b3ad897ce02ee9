/**
 * Grid versions. A workspace has one published grid at a time; published versions are never
 * edited (a change is a new version), so a score can always name the exact rules that made it.
 */
import { sql, type Transaction } from 'kysely'
import type { Db } from './database.js'
import { startWorkspaceRescore } from './rescore-chunk-repository.js'
import type { Database, GridRow } from './schema.js'

type Executor = Db | Transaction<Database>

export async function getPublishedGrid(db: Executor, workspaceId: string): Promise<GridRow | undefined> {
  return db
    .selectFrom('grids')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'published')
    .executeTakeFirst()
}

export async function getGrid(
  db: Executor,
  workspaceId: string,
  gridId: string,
): Promise<GridRow | undefined> {
  return db
    .selectFrom('grids')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', gridId)
    .executeTakeFirst()
}

export async function listGrids(db: Executor, workspaceId: string): Promise<GridRow[]> {
  return db
    .selectFrom('grids')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('version', 'desc')
    .execute()
}

/** Stores a new draft version (numbered after the newest). */
export async function createDraftGrid(
  trx: Transaction<Database>,
  workspaceId: string,
  definition: { name: string },
  note?: string,
): Promise<GridRow> {
  // Serialise version numbering per workspace.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`grids|${workspaceId}`}, 0))`.execute(trx)
  const last = await trx
    .selectFrom('grids')
    .select((eb) => eb.fn.max('version').as('v'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()
  return trx
    .insertInto('grids')
    .values({
      workspace_id: workspaceId,
      version: (last?.v ?? 0) + 1,
      name: definition.name,
      status: 'draft',
      definition: JSON.stringify(definition),
      note: note ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** Publishes a draft: the previous published version is retired, every contact is marked for rescoring. */
export async function publishGrid(
  trx: Transaction<Database>,
  workspaceId: string,
  gridId: string,
  at: Date,
): Promise<GridRow | undefined> {
  // Two publishes at once would both retire the old version and collide on the one-published index.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`grids|${workspaceId}`}, 0))`.execute(trx)
  // Read under the lock: the version this publish replaces, for the audit log's diff.
  const previous = await getPublishedGrid(trx, workspaceId)
  await trx
    .updateTable('grids')
    .set({ status: 'retired' })
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'published')
    .execute()
  await trx
    .updateTable('grids')
    .set({ status: 'published', published_at: at })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', gridId)
    .execute()
  // Key ranges (a big workspace) or marks in contact-id order, never contact rows: see
  // rescore-chunk-repository.ts and rescore-mark-repository.ts for why this cannot deadlock with
  // ingestion (it did when this was an UPDATE over the contact rows). A pass under way restarts.
  await startWorkspaceRescore(trx, workspaceId, 'publish', { restart: true })
  return previous
}
