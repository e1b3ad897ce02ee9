/**
 * How far the workers are behind, across every workspace, for GET /metrics: the
 * rescore marks waiting, the outbox rows waiting or parked, the CRM deliveries stored but not yet
 * processed — each with the time its oldest entry has waited since. The web role acknowledges
 * events as soon as they are durable whatever these say; the figures show an operator when to add
 * workers. One aggregate per table, no per-row work in the application.
 */

import { sql } from 'kysely'
import type { LagSnapshot } from '../metrics.js'
import type { Db } from './database.js'
import { countChunkBacklog } from './rescore-chunk-repository.js'

export async function lagSnapshot(db: Db): Promise<LagSnapshot> {
  const r = await sql<{
    marks: number
    oldest_mark: Date | null
    pending: number
    parked: number
    oldest_pending: Date | null
    deliveries: number
    oldest_delivery: Date | null
  }>`
    SELECT
      (SELECT count(*) FROM contact_rescore_marks)::int AS marks,
      (SELECT least(min(marked_at), (SELECT min(started_at) FROM rescore_chunks))
       FROM contact_rescore_marks) AS oldest_mark,
      (SELECT count(*) FROM outbox WHERE status = 'pending')::int AS pending,
      (SELECT count(*) FROM outbox WHERE status = 'parked')::int AS parked,
      (SELECT min(created_at) FROM outbox WHERE status = 'pending') AS oldest_pending,
      (SELECT count(*) FROM inbound_deliveries WHERE processed_at IS NULL)::int AS deliveries,
      (SELECT min(received_at) FROM inbound_deliveries WHERE processed_at IS NULL) AS oldest_delivery
  `.execute(db)
  const row = r.rows[0]!
  return {
    // Contacts marked, plus those a whole-workspace pass has not reached yet (rescore-chunk-repository.ts).
    rescoreMarks: row.marks + (await countChunkBacklog(db)),
    oldestRescoreMark: row.oldest_mark,
    outboxPending: row.pending,
    outboxParked: row.parked,
    oldestOutboxPending: row.oldest_pending,
    deliveriesPending: row.deliveries,
    oldestDeliveryPending: row.oldest_delivery,
  }
}
