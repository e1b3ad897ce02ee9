/**
 * A throwaway database: embedded PGlite in memory (optionally loaded from a dump), or a fresh
 * database on a Postgres server (optionally cloned from a template) dropped on close. Used by the
 * test harness and the ingestion benchmark, never by the service itself.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createKysely, type DatabaseHandle, EMBEDDED_POOL_SIZE } from './database.js'
import { startEmbeddedPostgres } from './embedded-postgres.js'

export async function openScratchDatabase(
  options: { serverUrl?: string; template?: string; loadDataDir?: Blob; prefix?: string } = {},
): Promise<DatabaseHandle> {
  if (!options.serverUrl) {
    const embedded = await startEmbeddedPostgres(
      options.loadDataDir ? { loadDataDir: options.loadDataDir } : {},
    )
    const { db, pool } = createKysely(embedded.connectionString, EMBEDDED_POOL_SIZE)
    return {
      db,
      pool,
      connectionString: embedded.connectionString,
      ssl: false,
      embedded,
      async close() {
        await db.destroy()
        await embedded.close()
      },
    }
  }
  const serverUrl = options.serverUrl
  const name = `${options.prefix ?? 'leadgrid_scratch'}_${randomBytes(6).toString('hex')}`
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl })
    await client.connect()
    try {
      await client.query(statement)
    } finally {
      await client.end()
    }
  }
  await admin(
    options.template ? `CREATE DATABASE ${name} TEMPLATE ${options.template}` : `CREATE DATABASE ${name}`,
  )
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const { db, pool } = createKysely(url.toString(), 10)
  return {
    db,
    pool,
    connectionString: url.toString(),
    ssl: undefined,
    embedded: null,
    async close() {
      await db.destroy()
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    },
  }
}
