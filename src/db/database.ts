/**
 * Opens the database: the Postgres at DATABASE_URL, or embedded PGlite under DATA_DIR.
 * Either way the rest of the code sees one kysely instance over a `pg` pool.
 */
import { dirname, join } from 'node:path'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { pgSslOption, type SslMode } from '../config.js'
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.js'
import type { Database } from './schema.js'

export type Db = Kysely<Database>

export interface DatabaseHandle {
  db: Db
  /** The pool behind `db`; in embedded mode also the job queue's only way in (see below). */
  pool: pg.Pool
  /** Where pg-boss and other raw clients connect (server mode). */
  connectionString: string
  /** pg's `ssl` option for raw clients (pg-boss) in server mode; undefined: as the URL says. */
  ssl: pg.PoolConfig['ssl'] | undefined
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

/** One trivial round trip: throws when the database cannot be reached (GET /readyz). */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db)
}

// int8 (bigint ids, counts) as JS numbers: our counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10))

export function createKysely(
  connectionString: string,
  max = 10,
  ssl?: pg.PoolConfig['ssl'],
): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: 'leadgrid',
    ...(ssl === undefined ? {} : { ssl }),
  })
  // An idle client that loses its server (restart, failover) must not crash the process.
  pool.on('error', () => {})
  // Nor one that is checked out: pg-pool takes its own error listener off a client while it is lent,
  // so a connection cut mid-transaction (pg_terminate_backend, failover) emitted an 'error' nobody
  // listened to — an uncaught exception that killed the whole process (the database-drop fault
  // test found it). The query in flight still fails with its own error, which its caller handles, and the pool
  // drops the broken client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool }
}

export async function openDatabase(options: {
  databaseUrl?: string
  dataDir?: string
  poolSize?: number
  /** TLS to DATABASE_URL (config.databaseSsl); ignored in embedded mode (a local Unix socket). */
  ssl?: SslMode
}): Promise<DatabaseHandle> {
  const embedded = options.databaseUrl
    ? null
    : await startEmbeddedPostgres({
        dataDir: options.dataDir,
        // Beside the database, inside the private DATA_DIR (`<DATA_DIR>/run`).
        socketDir: options.dataDir ? join(dirname(options.dataDir), 'run') : undefined,
      })
  const connectionString = options.databaseUrl ?? embedded!.connectionString
  // Embedded: `false`, so a PGSSLMODE in the environment cannot make pg ask a Unix socket for TLS.
  const ssl = embedded ? false : pgSslOption(options.ssl)
  const { db, pool } = createKysely(
    connectionString,
    embedded ? EMBEDDED_POOL_SIZE : (options.poolSize ?? 10),
    ssl,
  )
  return {
    db,
    pool,
    connectionString,
    ssl,
    embedded,
    async close() {
      await db.destroy()
      await embedded?.close()
    },
  }
}
