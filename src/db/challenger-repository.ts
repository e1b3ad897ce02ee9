/**
 * SQL for champion/challenger (migration 013) and grid reviews (migration 014). Tables declared
 * with `withTables`, as outcome-repository.ts does, so calibration stays in its own files.
 */
import type { Generated, Kysely, Transaction } from 'kysely'
import type { Database } from './schema.js'

export interface GridChallengersTable {
  workspace_id: string
  grid_id: string
  started_at: Date
  started_by: string
}

export interface ChallengerScoresTable {
  workspace_id: string
  grid_id: string
  contact_id: string
  total: number
  band: string
  mql: boolean
  mql_since: Date | null
  reasons: string
  computed_at: Date
}

export interface GridReviewsTable {
  workspace_id: string
  id: Generated<string>
  grid_id: string
  reviewed_at: Date
  reviewed_by: string
  note: string | null
}

type Executor = Kysely<Database> | Transaction<Database>
export const withCalibrationTables = (db: Executor) =>
  db.withTables<{
    grid_challengers: GridChallengersTable
    challenger_scores: ChallengerScoresTable
    grid_reviews: GridReviewsTable
  }>()

export interface ChallengerRow {
  gridId: string
  startedAt: Date
  startedBy: string
}

export async function getChallenger(db: Executor, workspaceId: string): Promise<ChallengerRow | undefined> {
  const row = await withCalibrationTables(db)
    .selectFrom('grid_challengers')
    .select(['grid_id', 'started_at', 'started_by'])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()
  return row && { gridId: row.grid_id, startedAt: row.started_at, startedBy: row.started_by }
}

/** Makes `gridId` the workspace's challenger, replacing any other (whose shadow scores go). */
export async function setChallenger(
  trx: Transaction<Database>,
  workspaceId: string,
  gridId: string,
  at: Date,
  actor: string,
): Promise<void> {
  await clearChallenger(trx, workspaceId)
  await withCalibrationTables(trx)
    .insertInto('grid_challengers')
    .values({ workspace_id: workspaceId, grid_id: gridId, started_at: at, started_by: actor })
    .execute()
}

export async function clearChallenger(db: Executor, workspaceId: string): Promise<void> {
  const t = withCalibrationTables(db)
  await t.deleteFrom('challenger_scores').where('workspace_id', '=', workspaceId).execute()
  await t.deleteFrom('grid_challengers').where('workspace_id', '=', workspaceId).execute()
}

export interface ShadowScore {
  contactId: string
  total: number
  band: string
  mql: boolean
  mqlSince: string | null
  reasons: string
}

export async function loadShadowMql(
  db: Executor,
  workspaceId: string,
  gridId: string,
  contactIds: string[],
): Promise<Map<string, { mql: boolean; mqlSince: string | null }>> {
  if (contactIds.length === 0) return new Map()
  const rows = await withCalibrationTables(db)
    .selectFrom('challenger_scores')
    .select(['contact_id', 'mql', 'mql_since'])
    .where('workspace_id', '=', workspaceId)
    .where('grid_id', '=', gridId)
    .where('contact_id', 'in', contactIds)
    .execute()
  return new Map(
    rows.map((r) => [r.contact_id, { mql: r.mql, mqlSince: r.mql_since?.toISOString() ?? null }]),
  )
}

export async function saveShadowScores(
  db: Executor,
  workspaceId: string,
  gridId: string,
  scores: ShadowScore[],
  at: Date,
): Promise<void> {
  if (scores.length === 0) return
  await withCalibrationTables(db)
    .insertInto('challenger_scores')
    .values(
      scores.map((s) => ({
        workspace_id: workspaceId,
        grid_id: gridId,
        contact_id: s.contactId,
        total: s.total,
        band: s.band,
        mql: s.mql,
        mql_since: s.mqlSince ? new Date(s.mqlSince) : null,
        reasons: s.reasons,
        computed_at: at,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'grid_id', 'contact_id']).doUpdateSet((eb) => ({
        total: eb.ref('excluded.total'),
        band: eb.ref('excluded.band'),
        mql: eb.ref('excluded.mql'),
        mql_since: eb.ref('excluded.mql_since'),
        reasons: eb.ref('excluded.reasons'),
        computed_at: eb.ref('excluded.computed_at'),
      })),
    )
    .execute()
}

/** Live shadow figures: contacts the challenger scored, its MQLs, and the champion's MQLs among the same contacts. */
export async function shadowSummary(
  db: Executor,
  workspaceId: string,
  gridId: string,
): Promise<{ contacts: number; challengerMqls: number; championMqls: number; bothMql: number }> {
  const row = await withCalibrationTables(db)
    .selectFrom('challenger_scores as c')
    .leftJoin('scores as s', (j) =>
      j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.contact_id', '=', 'c.contact_id'),
    )
    .select((eb) => [
      eb.fn.countAll<string>().as('contacts'),
      eb.fn.count<string>('c.contact_id').filterWhere('c.mql', '=', true).as('challenger'),
      eb.fn.count<string>('c.contact_id').filterWhere('s.mql', '=', true).as('champion'),
      eb.fn
        .count<string>('c.contact_id')
        .filterWhere((w) => w.and([w('c.mql', '=', true), w('s.mql', '=', true)]))
        .as('both'),
    ])
    .where('c.workspace_id', '=', workspaceId)
    .where('c.grid_id', '=', gridId)
    .executeTakeFirstOrThrow()
  return {
    contacts: Number(row.contacts),
    challengerMqls: Number(row.challenger),
    championMqls: Number(row.champion),
    bothMql: Number(row.both),
  }
}

export async function addReview(
  db: Executor,
  workspaceId: string,
  review: { gridId: string; at: Date; actor: string; note?: string },
): Promise<void> {
  await withCalibrationTables(db)
    .insertInto('grid_reviews')
    .values({
      workspace_id: workspaceId,
      grid_id: review.gridId,
      reviewed_at: review.at,
      reviewed_by: review.actor,
      note: review.note ?? null,
    })
    .execute()
}

export async function lastReview(
  db: Executor,
  workspaceId: string,
): Promise<{ at: Date; actor: string } | undefined> {
  const row = await withCalibrationTables(db)
    .selectFrom('grid_reviews')
    .select(['reviewed_at', 'reviewed_by'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('reviewed_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row && { at: row.reviewed_at, actor: row.reviewed_by }
}
