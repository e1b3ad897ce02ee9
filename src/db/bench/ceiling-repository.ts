/**
 * The ingestion benchmark's baseline: the API's rows written raw, by batched
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`, into a table shaped like `events` (same
 * columns, key and indexes) on the same server — the ceiling the API is compared with.
 */
import { sql } from 'kysely'
import type { DatabaseHandle } from '../database.js'

export interface CeilingRow {
  workspaceId: string
  dedupeKey: string
  contactId: string
  type: string
  occurredAt: string
  attributes: unknown
  source: string
}

export function createCeilingRepository(database: DatabaseHandle) {
  return {
    create: () => sql`CREATE TABLE bench_ceiling (LIKE events INCLUDING ALL)`.execute(database.db),
    drop: () => sql`DROP TABLE bench_ceiling`.execute(database.db),
    async insert(rows: CeilingRow[]): Promise<void> {
      await database.pool.query(
        `INSERT INTO bench_ceiling (workspace_id, dedupe_key, contact_id, type, occurred_at, attributes, source)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::jsonb[], $7::text[])
         ON CONFLICT DO NOTHING`,
        [
          rows.map((r) => r.workspaceId),
          rows.map((r) => r.dedupeKey),
          rows.map((r) => r.contactId),
          rows.map((r) => r.type),
          rows.map((r) => r.occurredAt),
          rows.map((r) => JSON.stringify(r.attributes)),
          rows.map((r) => r.source),
        ],
      )
    },
  }
}
