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
  /** The pool behind `db`; in embedded mode also the job queue's only way in (see below). */
  pool: pg.Pool
  /** Where pg-boss and other raw clients connect (server mode). */
  connectionString: string
  embedded: EmbeddedPostgres | null
  close(): Promise<void>
}

/**
 * PGlite is one Postgres session. Its socket server multiplexes clients onto it message by
 * message, so two clients' extended-protocol exchanges can interleave and clobber each other's
 * unnamed statement and portal ("portal does not exist", wrong rows). Embedded mode therefore uses
 * exactly one client for everything — kysely and the job queue alike — and PGlite's own
 * serialisation costs nothing more. Never await a pool query inside a transaction in this mode.
 */
export const EMBEDDED_POOL_SIZE = 1

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
  const { db, pool } = createKysely(
    connectionString,
    embedded ? EMBEDDED_POOL_SIZE : (options.poolSize ?? 10),
  )
  return {
    db,
    pool,
    connectionString,
    embedded,
    async close() {
      await db.destroy()
      await embedded?.close()
    },
  }
}
