import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { createKysely } from '../../src/db/database.js'
import { listMigrations, migrate, pendingMigrations } from '../../src/db/migrate.js'
import { openScratchDatabase } from '../../src/db/scratch-database.js'

it('two processes migrating a fresh database at once apply each migration exactly once', async () => {
  // A database with nothing in it (no template): what a first deploy with two processes meets.
  const scratch = await openScratchDatabase({
    serverUrl: process.env.DATABASE_URL,
    prefix: 'leadgrid_migrate',
  })
  const second = scratch.embedded ? null : createKysely(scratch.connectionString, 2)
  try {
    expect(await pendingMigrations(scratch.db)).toEqual(listMigrations().map((m) => m.name))
    const [a, b] = await Promise.all([migrate(scratch.db), migrate(second?.db ?? scratch.db)])
    expect([...a, ...b].sort()).toEqual(listMigrations().map((m) => m.name))
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM schema_migrations`.execute(
      scratch.db,
    )
    expect(rows.rows[0]?.n).toBe(listMigrations().length)
    expect(await pendingMigrations(scratch.db)).toEqual([])
    expect(await migrate(scratch.db)).toEqual([])
  } finally {
    await second?.db.destroy()
    await scratch.close()
  }
})
