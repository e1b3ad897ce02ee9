/**
 * Fault: kill -9 of a ROLE=worker process in the middle of a rescore batch (issue 9, item 7). The
 * batch's transaction is held open deterministically — the test locks the `scores` table before the
 * worker starts, so the worker has taken its marks and computed its scores when it waits to write
 * them — and the worker dies right there. Checked: nothing of the batch is half-written (no score, every mark still
 * there), and after a fresh worker starts every contact has its right score with exactly one history
 * row: no score lost, none applied twice.
 * PostgreSQL server only: roles apart need the server (embedded PGlite is one process by design).
 */
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../src/db/database.js'
import { createWorkspace } from '../../src/workspaces/workspace-service.js'
import { type ServerProcess, startServerProcess } from '../helpers/server-process.js'
import { TEST_ENV } from '../helpers/test-app.js'
import { createTestDatabase } from '../helpers/test-database.js'
import { until } from '../helpers/until.js'

const onServer = Boolean(process.env.DATABASE_URL)
const CONTACTS = 200

let database: DatabaseHandle | undefined
let lockHolder: pg.Client | undefined
const processes: ServerProcess[] = []
afterAll(async () => {
  for (const p of processes) p.child.kill('SIGKILL')
  await Promise.all(processes.map((p) => p.waitForExit()))
  await lockHolder?.end()
  await database?.close()
})

it.skipIf(!onServer)(
  'a worker killed mid-batch loses no score and applies none twice (PostgreSQL server only)',
  async () => {
    database = await createTestDatabase()
    const { db } = database
    const workspace = await createWorkspace(db, { name: 'Worker kill', now: new Date() })
    const ws = workspace.workspaceId
    const count = async (table: 'scores' | 'contact_rescore_marks' | 'score_history') =>
      (
        await sql<{
          n: number
        }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE workspace_id = ${ws}`.execute(db)
      ).rows[0]!.n
    const env = {
      ...TEST_ENV,
      LOG_LEVEL: 'info',
      DEMO_DATA: 'false',
      DATABASE_URL: database.connectionString,
    }

    // Hold every batch open: score writes wait behind this lock (reads and ingestion do not).
    lockHolder = new pg.Client({ connectionString: database.connectionString })
    await lockHolder.connect()
    await lockHolder.query('BEGIN')
    await lockHolder.query('LOCK TABLE scores IN EXCLUSIVE MODE')
    // A web and a worker process, started side by side; events in through the web.
    const [web, doomed] = await Promise.all([
      startServerProcess({ ...env, ROLE: 'web' }),
      startServerProcess({ ...env, ROLE: 'worker' }),
    ])
    processes.push(web!, doomed!)
    const r = await fetch(`${web.baseUrl}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${workspace.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: Array.from({ length: CONTACTS }, (_, c) => ({
          id: `kill-${c}`,
          contact: { email: `buyer${c}@worker-kill.io` },
          type: 'asset.downloaded',
          occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
          attributes: { assetId: 'wp-1', assetType: 'whitepaper' },
        })),
      }),
    })
    expect(r.status).toBe(202)
    expect(await count('contact_rescore_marks')).toBe(CONTACTS)
    await until(
      'the worker’s batch waiting to write its scores',
      async () =>
        (
          await lockHolder!.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
             AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          )
        ).rowCount! > 0,
      30_000,
    )
    doomed!.child.kill('SIGKILL')
    await doomed!.waitForExit()
    await lockHolder.query('COMMIT')

    // The dead worker's transaction is rolled back once its backend notices: nothing half-written.
    await until(
      'the dead worker’s backend to end',
      async () =>
        (
          await lockHolder!.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
             AND application_name = 'leadgrid' AND state = 'idle in transaction'`,
          )
        ).rowCount === 0,
      15_000,
    )
    expect(await count('scores')).toBe(0)
    expect(await count('score_history')).toBe(0)
    expect(await count('contact_rescore_marks')).toBe(CONTACTS)

    // A fresh worker takes over (its start queues a catch-up of the marks left behind).
    const successor = await startServerProcess({ ...env, ROLE: 'worker' })
    processes.push(successor)
    await until(
      'every contact rescored by the new worker',
      async () => (await count('contact_rescore_marks')) === 0 && (await count('scores')) === CONTACTS,
      60_000,
    )
    const totals = await db.selectFrom('scores').select('total').where('workspace_id', '=', ws).execute()
    expect(totals.every((s) => s.total === 25)).toBe(true)
    const perContact = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM score_history WHERE workspace_id = ${ws} GROUP BY contact_id`.execute(db)
    expect(perContact.rows).toHaveLength(CONTACTS)
    expect(perContact.rows.every((h) => h.n === 1)).toBe(true)
  },
  180_000,
)
