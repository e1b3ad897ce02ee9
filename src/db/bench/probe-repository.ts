/**
 * What the benchmarks read back from the database they measured: the server's version for the
 * machine line, and the counts their figures are made of (history rows, outbox rows, deliveries).
 */
import { sql } from 'kysely'
import type { Db } from '../database.js'

export async function serverVersion(db: Db): Promise<string> {
  const row = await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(db)
  return row.rows[0]?.v ?? 'unknown'
}

/** Rows the workspace's score history holds: the visible score changes. */
export async function scoreHistoryRows(db: Db, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('score_history')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Outbox rows, all of them or those of one workspace, connection or status. */
export async function outboxRows(
  db: Db,
  filter: { workspaceId?: string; connectionId?: string; status?: 'pending' | 'parked' } = {},
): Promise<number> {
  let query = db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('n'))
  if (filter.workspaceId) query = query.where('workspace_id', '=', filter.workspaceId)
  if (filter.connectionId) query = query.where('connection_id', '=', filter.connectionId)
  if (filter.status) query = query.where('status', '=', filter.status)
  return Number((await query.executeTakeFirstOrThrow()).n)
}

/** Stored webhook deliveries, and how many of them have been processed. */
export async function deliveryCounts(db: Db): Promise<{ all: number; processed: number }> {
  const row = await db
    .selectFrom('inbound_deliveries')
    .select((eb) => [eb.fn.countAll<string>().as('all'), eb.fn.count<string>('processed_at').as('processed')])
    .executeTakeFirstOrThrow()
  return { all: Number(row.all), processed: Number(row.processed) }
}
