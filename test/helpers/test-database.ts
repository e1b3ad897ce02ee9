/**
 * A fresh, migrated database for one test file: loaded from the PGlite template dump (embedded),
 * or created from the template database on the Postgres server (CI with DATABASE_URL).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { inject } from 'vitest'
import { createKysely, type DatabaseHandle, EMBEDDED_POOL_SIZE } from '../../src/db/database.js'
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js'

export async function createTestDatabase(): Promise<DatabaseHandle> {
  const tarball = inject('templateTarball')
  if (tarball) {
    const embedded = await startEmbeddedPostgres({ loadDataDir: new Blob([readFileSync(tarball)]) })
    const { db, pool } = createKysely(embedded.connectionString, EMBEDDED_POOL_SIZE)
    return {
      db,
      pool,
      connectionString: embedded.connectionString,
      embedded,
      async close() {
        await db.destroy()
        await embedded.close()
      },
    }
  }
  const serverUrl = inject('templateDatabaseUrl')!
  const name = `leadgrid_t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name} TEMPLATE leadgrid_template`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const { db, pool } = createKysely(url.toString(), 10)
  return {
    db,
    pool,
    connectionString: url.toString(),
    embedded: null,
    async close() {
      await db.destroy()
      const cleanup = new pg.Client({ connectionString: serverUrl })
      await cleanup.connect()
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await cleanup.end()
    },
  }
}
