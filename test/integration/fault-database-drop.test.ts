/**
 * Fault: the database connection dropped in the middle of an ingest (issue 9, item 7). The backend
 * serving the request is terminated (pg_terminate_backend) while its transaction waits on a lock:
 * the sender gets 503 with Retry-After — "nothing stored, send again", not a 500 that reads as a bug —
 * nothing of the batch is half-written, and the same batch sent again is stored once.
 * PostgreSQL server only: embedded PGlite is one session inside the process, with no backend to kill.
 */
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { until } from '../helpers/until.js'

const onServer = Boolean(process.env.DATABASE_URL)
let t: TestApp
beforeAll(async () => {
  if (onServer) t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

async function count(table: 'events' | 'contacts'): Promise<number> {
  const r = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE workspace_id = ${t.workspace.workspaceId}`.execute(
    t.deps.db,
  )
  return r.rows[0]!.n
}

const batch = {
  events: ['a', 'b', 'c'].map((k) => ({
    id: `drop-${k}`,
    contact: { email: `dropped-${k}@fault-test.io` },
    type: 'asset.downloaded',
    occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
    attributes: { assetId: `wp-${k}`, assetType: 'whitepaper' },
  })),
}

it.skipIf(!onServer)(
  'a connection dropped during ingest answers 503, stores nothing, and the retry is stored once (PostgreSQL server only)',
  async () => {
    const auth = { authorization: `Bearer ${t.workspace.apiKey}` }
    const lockHolder = new pg.Client({ connectionString: t.deps.config.DATABASE_URL })
    await lockHolder.connect()
    try {
      // Inserts into `events` wait behind this lock (reads do not): the ingest's transaction has
      // resolved its contacts and waits, mid-way, when its connection is cut.
      await lockHolder.query('BEGIN')
      await lockHolder.query('LOCK TABLE events IN EXCLUSIVE MODE')
      const answer = t.app.inject({ method: 'POST', url: '/api/v1/events', headers: auth, payload: batch })
      const waiting = await until(
        'the ingest waiting on the lock',
        async () => {
          const r = await lockHolder.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          )
          return r.rows[0]?.pid
        },
        15_000,
      )
      await lockHolder.query('SELECT pg_terminate_backend($1)', [waiting])
      await lockHolder.query('COMMIT')
      const res = await answer
      expect(res.statusCode, res.body).toBe(503)
      expect(res.headers['retry-after']).toBeDefined()
      expect(res.json().error.code).toBe('database_unavailable')
    } finally {
      await lockHolder.end()
    }
    // Nothing half-written: neither the events nor the contacts they would have created.
    expect(await count('events')).toBe(0)
    expect(await count('contacts')).toBe(0)

    const retry = await t.app.inject({ method: 'POST', url: '/api/v1/events', headers: auth, payload: batch })
    expect(retry.statusCode, retry.body).toBe(202)
    expect(retry.json()).toEqual({ accepted: 3, duplicates: 0 })
    expect(await count('events')).toBe(3)
    expect(await count('contacts')).toBe(3)
  },
)
