/**
 * Embedded Postgres (PGlite) served over a local socket, so `pg`, kysely and pg-boss reach it by
 * the same code path as a real server. Used when DATABASE_URL is unset (a fresh clone, tests).
 *
 * The socket is a Unix socket in a directory only this user can enter (mode 0700), never TCP:
 * pglite-socket asks for no password, and a port on 127.0.0.1 would let every local account read
 * every table. A Unix socket's reach is decided by the file system, so the directory's mode keeps
 * other accounts out.
 *
 * pglite-socket interleaves different clients' extended-protocol messages on PGlite's single
 * session, so embedded mode connects exactly ONE pg client for everything (database.ts,
 * EMBEDDED_POOL_SIZE); the CLI beside a running server goes through the server (src/commands/).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { tighten } from './private-data-dir.js'

export interface EmbeddedPostgres {
  connectionString: string
  /** The directory holding the server's socket (`.s.PGSQL.5432`), mode 0700. */
  socketDir: string
  pglite: PGlite
  close(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** Directory persisted across restarts; undefined keeps the database in memory. */
  dataDir?: string
  /** A tarball from `dumpDataDir()` to start from (tests: a migrated template). */
  loadDataDir?: Blob | File
  /** Where the socket lives (created 0700); default: a fresh private directory under the OS tmp. */
  socketDir?: string
  /** Clients multiplexed onto the single PGlite connection (pool + queue + listeners). */
  maxConnections?: number
}

/** Linux caps a socket path at 107 bytes (sun_path); macOS at 103. Stay below both. */
const MAX_SOCKET_PATH = 100
/** libpq and node-postgres look for `<host dir>/.s.PGSQL.<port>`. */
const SOCKET_PORT = 5432
const SOCKET_NAME = `.s.PGSQL.${SOCKET_PORT}`

/**
 * A directory for a Unix socket, private to this user: `preferred` when its path is short enough
 * for a socket address, else a fresh `mkdtemp` directory (0700 by construction). The second value
 * says whether the caller must remove the directory when done.
 */
export function privateSocketDir(preferred: string | undefined, socketName: string): [string, boolean] {
  if (preferred) {
    const dir = resolve(preferred)
    if (Buffer.byteLength(join(dir, socketName)) <= MAX_SOCKET_PATH) {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      return [dir, false]
    }
  }
  return [mkdtempSync(join(tmpdir(), 'leadgrid-')), true]
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  })
  if (options.dataDir) tighten(options.dataDir)
  const [socketDir, removeDir] = privateSocketDir(options.socketDir, SOCKET_NAME)
  const path = join(socketDir, SOCKET_NAME)
  // A socket file left by a killed process would make listen() fail with EADDRINUSE; the caller
  // holds the data directory's lock, so no live server owns it.
  rmSync(path, { force: true })
  const server = new PGLiteSocketServer({
    db: pglite,
    path,
    maxConnections: options.maxConnections ?? 32,
  })
  await server.start()
  return {
    // node-postgres reads `host=<directory>` as a Unix socket directory, as libpq does.
    connectionString: `postgres://postgres@localhost:${SOCKET_PORT}/postgres?host=${encodeURIComponent(socketDir)}&sslmode=disable`,
    socketDir,
    pglite,
    async close() {
      await server.stop()
      await pglite.close()
      rmSync(path, { force: true })
      if (removeDir) rmSync(socketDir, { recursive: true, force: true })
    },
  }
}
