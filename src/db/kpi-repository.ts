/**
 * The funnel KPIs (MQL → SQL → opportunity → won, per grid version) in SQL: one pass over the
 * history, outcomes and events.
 * A contact's MQL moment is its FIRST score-history row over the threshold; it is credited to the
 * grid version that made it an MQL. Everything after counts from that moment:
 * - SQL: its first sql, opportunity or won outcome at or after the MQL moment (a later stage
 *   implies the earlier one);
 * - customer: its first won outcome after it;
 * - deal created: its first opportunity, won or lost outcome after it (a deal existed);
 * - first sales touch: the earlier of its first `meeting.booked` / `meeting.held` event and its
 *   SQL outcome after the MQL moment (what sales does first that Leadgrid can see);
 * - sales cycle: MQL moment → won.
 */
import { sql } from 'kysely'
import type { Db } from './database.js'

export const SALES_TOUCH_EVENTS = ['meeting.booked', 'meeting.held'] as const

export interface VersionKpiRow {
  grid_id: string
  version: number
  name: string
  published_at: Date | null
  mqls: string
  sqls: string
  customers: string
  deals: string
  touched: string
  touch_seconds: number | null
  cycle_seconds: number | null
}

export async function kpisByVersion(
  db: Db,
  workspaceId: string,
  from: Date,
  to: Date,
): Promise<VersionKpiRow[]> {
  const { rows } = await sql<VersionKpiRow>`
    WITH first_mql AS (
      SELECT DISTINCT ON (contact_id) contact_id, grid_id, computed_at AS mql_at
      FROM score_history
      WHERE workspace_id = ${workspaceId} AND mql
      ORDER BY contact_id, computed_at, id
    ), journey AS (
      SELECT f.grid_id, f.mql_at,
        (SELECT min(o.occurred_at) FROM outcomes o WHERE o.workspace_id = ${workspaceId}
           AND o.contact_id = f.contact_id AND o.kind IN ('sql', 'opportunity', 'won') AND o.occurred_at >= f.mql_at) AS sql_at,
        (SELECT min(o.occurred_at) FROM outcomes o WHERE o.workspace_id = ${workspaceId}
           AND o.contact_id = f.contact_id AND o.kind = 'won' AND o.occurred_at >= f.mql_at) AS won_at,
        (SELECT min(o.occurred_at) FROM outcomes o WHERE o.workspace_id = ${workspaceId}
           AND o.contact_id = f.contact_id AND o.kind IN ('opportunity', 'won', 'lost') AND o.occurred_at >= f.mql_at) AS deal_at,
        (SELECT min(e.occurred_at) FROM events e WHERE e.workspace_id = ${workspaceId}
           AND e.contact_id = f.contact_id AND e.type IN ('meeting.booked', 'meeting.held') AND e.occurred_at >= f.mql_at) AS meeting_at
      FROM first_mql f
      WHERE f.mql_at >= ${from} AND f.mql_at < ${to}
    )
    SELECT j.grid_id, g.version, g.name, g.published_at,
      count(*) AS mqls, count(j.sql_at) AS sqls, count(j.won_at) AS customers, count(j.deal_at) AS deals,
      count(least(j.sql_at, j.meeting_at)) AS touched,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM least(j.sql_at, j.meeting_at) - j.mql_at))
        FILTER (WHERE least(j.sql_at, j.meeting_at) IS NOT NULL) AS touch_seconds,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM j.won_at - j.mql_at))
        FILTER (WHERE j.won_at IS NOT NULL) AS cycle_seconds
    FROM journey j
    JOIN grids g ON g.workspace_id = ${workspaceId} AND g.id = j.grid_id
    GROUP BY j.grid_id, g.version, g.name, g.published_at
    ORDER BY g.version DESC
  `.execute(db)
  return rows
}

/** Per calendar month (UTC): contacts that first became MQL, and contacts whose first deal appeared. */
export async function monthlyMqlsAndDeals(
  db: Db,
  workspaceId: string,
  from: Date,
  to: Date,
): Promise<{ month: string; mqls: string; deals: string }[]> {
  const { rows } = await sql<{ month: string; mqls: string; deals: string }>`
    WITH first_mql AS (
      SELECT DISTINCT ON (contact_id) contact_id, computed_at AS at
      FROM score_history WHERE workspace_id = ${workspaceId} AND mql
      ORDER BY contact_id, computed_at, id
    ), first_deal AS (
      SELECT contact_id, min(occurred_at) AS at FROM outcomes
      WHERE workspace_id = ${workspaceId} AND kind IN ('opportunity', 'won', 'lost')
      GROUP BY contact_id
    ), months AS (
      SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, 1 AS mql, 0 AS deal FROM first_mql
        WHERE at >= ${from} AND at < ${to}
      UNION ALL
      SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM'), 0, 1 FROM first_deal WHERE at >= ${from} AND at < ${to}
    )
    SELECT month, sum(mql)::text AS mqls, sum(deal)::text AS deals FROM months GROUP BY month ORDER BY month
  `.execute(db)
  return rows
}
