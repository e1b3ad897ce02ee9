/**
 * Current scores (one row per contact) and their history (one row per visible change).
 */
import { sql, type Transaction } from 'kysely'
import type { Db } from './database.js'
import type { Database, ScoreRow } from './schema.js'

type Executor = Db | Transaction<Database>

export interface StoredScore {
  contactId: string
  gridId: string
  fit: number
  engagement: number
  total: number
  band: string
  grade: string
  mql: boolean
  mqlSince: string | null
  reasons: string
  contributions: unknown
  computedAt: Date
}

export async function loadScores(
  db: Executor,
  workspaceId: string,
  contactIds: string[],
): Promise<Map<string, ScoreRow>> {
  if (contactIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('scores')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    .execute()
  return new Map(rows.map((r) => [r.contact_id, r]))
}

/** What a person would notice changing: the total, the band, the grade or the MQL status. */
export function visiblyChanged(previous: ScoreRow | undefined, next: StoredScore): boolean {
  return (
    !previous ||
    previous.total !== next.total ||
    previous.band !== next.band ||
    previous.grade !== next.grade ||
    previous.mql !== next.mql
  )
}

/** The columns a current score and a history row share. */
function sharedColumns(workspaceId: string, s: StoredScore) {
  return {
    workspace_id: workspaceId,
    contact_id: s.contactId,
    grid_id: s.gridId,
    fit: s.fit,
    engagement: s.engagement,
    total: s.total,
    band: s.band,
    grade: s.grade,
    mql: s.mql,
    reasons: s.reasons,
    computed_at: s.computedAt,
  }
}

export async function saveScores(
  trx: Transaction<Database>,
  workspaceId: string,
  scores: StoredScore[],
  changed: { score: StoredScore; cause: string }[],
): Promise<void> {
  if (scores.length > 0) {
    await trx
      .insertInto('scores')
      .values(
        scores.map((s) => ({
          ...sharedColumns(workspaceId, s),
          mql_since: s.mqlSince,
          contributions: JSON.stringify(s.contributions),
        })),
      )
      .onConflict((oc) =>
        oc.columns(['workspace_id', 'contact_id']).doUpdateSet((eb) => ({
          grid_id: eb.ref('excluded.grid_id'),
          fit: eb.ref('excluded.fit'),
          engagement: eb.ref('excluded.engagement'),
          total: eb.ref('excluded.total'),
          band: eb.ref('excluded.band'),
          grade: eb.ref('excluded.grade'),
          mql: eb.ref('excluded.mql'),
          mql_since: eb.ref('excluded.mql_since'),
          reasons: eb.ref('excluded.reasons'),
          contributions: eb.ref('excluded.contributions'),
          computed_at: eb.ref('excluded.computed_at'),
        })),
      )
      .execute()
  }
  if (changed.length > 0) {
    await trx
      .insertInto('score_history')
      .values(changed.map(({ score: s, cause }) => ({ ...sharedColumns(workspaceId, s), cause })))
      .execute()
  }
}

export async function scoreHistory(db: Executor, workspaceId: string, contactId: string, limit = 50) {
  return db
    .selectFrom('score_history')
    .select([
      'total',
      'fit',
      'engagement',
      'band',
      'grade',
      'mql',
      'reasons',
      'cause',
      'computed_at',
      'grid_id',
    ])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}

/** A stored score as every reader shows it (API, app card): the CRM-visible values and reasons. */
export function scoreSummary(row: ScoreRow) {
  return {
    score: row.total,
    fit: row.fit,
    engagement: row.engagement,
    band: row.band,
    grade: row.grade,
    mql: row.mql,
    mqlSince: row.mql_since?.toISOString() ?? null,
    reasons: row.reasons,
    computedAt: row.computed_at.toISOString(),
  }
}

/** Score distribution for KPIs and the metrics endpoint. */
export async function countByBand(db: Executor, workspaceId: string) {
  return sql<{ band: string; mql: boolean; n: number }>`
    SELECT band, mql, count(*)::int AS n FROM scores WHERE workspace_id = ${workspaceId} GROUP BY band, mql
  `.execute(db)
}
