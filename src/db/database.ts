/**
 * Opens the database: the Postgres at DATABASE_URL, or embedded PGlite under DATA_DIR.
 * Either way the rest of the code sees one kysely instance over a `pg` pool.
 */
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.js'
import type { Database } from './schema.js'

export type Db = Kysely<Database>

export interface DatabaseHandle {
  db: Db
  /** Where pg-boss and other raw clients connect. */
  connectionString: string
  embedded: EmbeddedPostgres | null
  close(): Promise<void>
}

// int8 (bigint ids, counts) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10))

export function createKysely(connectionString: string, max = 10): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max, application_name: 'leadgrid' })
  // An idle client that loses its server (restart, failover) must not crash the process.
  pool.on('error', () => {})
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool }
}

export async function openDatabase(options: {
  databaseUrl?: string
  dataDir?: string
  poolSize?: number
}): Promise<DatabaseHandle> {
  const embedded = options.databaseUrl ? null : await startEmbeddedPostgres({ dataDir: options.dataDir })
  const connectionString = options.databaseUrl ?? embedded!.connectionString
  const { db } = createKysely(connectionString, options.poolSize ?? (embedded ? 8 : 10))
  return {
    db,
    connectionString,
    embedded,
    async close() {
      await db.destroy()
      await embedded?.close()
    },
  }
}
