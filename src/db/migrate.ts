/**
 * Applies migrations/NNN_name.sql in order, each in its own transaction, once.
 * Safe when two processes start at once: a transaction-scoped advisory lock serialises them and
 * the second finds nothing left to do. Migrations are plain SQL "frozen in time": they never
 * import application code.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import type { Db } from './database.js'

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))
/** Arbitrary constant shared by every Leadgrid process: "the migration lock". */
const MIGRATION_LOCK_ID = 7_341_982_115

export interface MigrationFile {
  name: string
  sql: string
}

export function listMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((name) => ({ name, sql: readFileSync(`${dir}${name}`, 'utf8') }))
}

/** Returns the names applied by this call (empty when the database was already up to date). */
export async function migrate(db: Db, migrations = listMigrations()): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`.execute(trx)
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`.execute(trx)
    const done = await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(trx)
    const applied = new Set(done.rows.map((r) => r.name))
    const ran: string[] = []
    for (const m of migrations) {
      if (applied.has(m.name)) continue
      await sql.raw(m.sql).execute(trx)
      await sql`INSERT INTO schema_migrations (name) VALUES (${m.name})`.execute(trx)
      ran.push(m.name)
    }
    return ran
  })
}

/** For /readyz: every migration file has been applied. */
export async function pendingMigrations(db: Db, migrations = listMigrations()): Promise<string[]> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass('schema_migrations')::text AS t`.execute(
    db,
  )
  if (!exists.rows[0]?.t) return migrations.map((m) => m.name)
  const done = await sql<{ name: string }>`SELECT name FROM schema_migrations`.execute(db)
  const applied = new Set(done.rows.map((r) => r.name))
  return migrations.filter((m) => !applied.has(m.name)).map((m) => m.name)
}
