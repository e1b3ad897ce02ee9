/**
 * End to end: `leadgrid outcomes import` against the database the CLI opens (embedded PGlite
 * under DATA_DIR, or a scratch database on the server in CI): a bad row stops the import with its
 * line number and stores nothing; a good file is stored once even when imported twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../../src/db/database.js'
import { migratedDataDir } from '../helpers/data-dir.js'
import { runCli } from '../helpers/server-process.js'
import { createTestDatabase } from '../helpers/test-database.js'

const dir = mkdtempSync(join(tmpdir(), 'leadgrid-outcomes-import-'))
let serverDb: DatabaseHandle | undefined
afterAll(async () => {
  await serverDb?.close()
  rmSync(dir, { recursive: true, force: true })
})

it('imports a CSV of outcomes once, and refuses a file with a bad row', { timeout: 240_000 }, async () => {
  const env: Record<string, string> = { LOG_LEVEL: 'warn', DEMO_DATA: 'false', NODE_ENV: 'test' }
  if (process.env.DATABASE_URL) {
    serverDb = await createTestDatabase()
    env.DATABASE_URL = serverDb.connectionString
  } else env.DATA_DIR = migratedDataDir(join(dir, 'data'))
  const created = runCli(['workspace', 'create', '--name', 'Outcomes import', '--json'], env)
  expect(created.status, created.stderr).toBe(0)
  const { workspaceId } = JSON.parse(created.stdout.trim().split('\n').at(-1)!)

  const bad = join(dir, 'bad.csv')
  writeFileSync(
    bad,
    'Email,Stage,Closed at\nada@example.com,won,2026-03-01T00:00:00Z\nbob@example.com,closed,2026-03-02T00:00:00Z\n',
  )
  const args = (file: string) => [
    'outcomes',
    'import',
    '--workspace',
    workspaceId,
    '--csv',
    file,
    '--email',
    'Email',
    '--kind',
    'Stage',
    '--occurred-at',
    'Closed at',
  ]
  const refused = runCli(args(bad), env)
  expect(refused.status).toBe(1) // a bad row is a data problem (1); wrong arguments are 2
  expect(refused.stderr).toMatch(
    /nothing was imported; 1 bad row\(s\):\n {2}line 3: kind: unknown outcome kind "closed"/,
  )

  const good = join(dir, 'good.csv')
  writeFileSync(
    good,
    'Email,Stage,Closed at\nada@example.com,Won,2026-03-01T00:00:00Z\nbob@example.com,lost,2026-03-02T00:00:00Z\ncarol@example.com,,\n',
  )
  const first = runCli(args(good), env)
  expect(first.status, first.stderr).toBe(0)
  expect(JSON.parse(first.stdout.trim())).toEqual({ workspaceId, accepted: 2, duplicates: 0, skipped: 1 })
  const second = runCli(args(good), env)
  expect(JSON.parse(second.stdout.trim())).toMatchObject({ accepted: 0, duplicates: 2 })

  const db = serverDb ?? (await openDatabase({ dataDir: join(env.DATA_DIR!, 'pg') }))
  try {
    const rows = await sql<{ kind: string; source: string }>`
      SELECT kind, source FROM outcomes WHERE workspace_id = ${workspaceId} ORDER BY occurred_at`.execute(
      db.db,
    )
    expect(rows.rows).toEqual([
      { kind: 'won', source: 'csv' },
      { kind: 'lost', source: 'csv' },
    ])
  } finally {
    if (!serverDb) await db.close()
  }
})
