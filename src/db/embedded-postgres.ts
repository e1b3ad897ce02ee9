/**
 * Embedded Postgres (PGlite) served over a local socket, so `pg`, kysely and pg-boss reach it by
 * the same code path as a real server. Used when DATABASE_URL is unset (a fresh clone, tests).
 */
import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface EmbeddedPostgres {
  connectionString: string
  pglite: PGlite
  close(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** Directory persisted across restarts; undefined keeps the database in memory. */
  dataDir?: string
  /** A tarball from `dumpDataDir()` to start from (tests: a migrated template). */
  loadDataDir?: Blob | File
  /** Clients multiplexed onto the single PGlite connection (pool + queue + listeners). */
  maxConnections?: number
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  })
  const server = new PGLiteSocketServer({
    db: pglite,
    host: '127.0.0.1',
    port: 0,
    maxConnections: options.maxConnections ?? 32,
  })
  await server.start()
  const address = server.getServerConn()
  return {
    connectionString: `postgres://postgres@${address}/postgres?sslmode=disable`,
    pglite,
    async close() {
      await server.stop()
      await pglite.close()
    },
  }
}
