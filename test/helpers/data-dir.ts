/**
 * A DATA_DIR whose embedded database is already migrated — the run's template (global-setup.ts)
 * unpacked into `<DATA_DIR>/pg` — for tests that run the CLI or the server as a child process and
 * test something other than a first start's migrations (embedded-server-cli.test.ts and
 * migrate.test.ts start from nothing). Against a server (DATABASE_URL) there is no template to
 * unpack: the directory is empty.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { inject } from 'vitest'

/** Fills `dataDir` (made if missing) with the migrated template database; returns `dataDir`. */
export function migratedDataDir(dataDir: string): string {
  const tarball = inject('templateTarball')
  if (tarball) {
    const pg = join(dataDir, 'pg')
    mkdirSync(pg, { recursive: true, mode: 0o700 })
    // PGlite's dump is a plain gzipped tar of the data directory (member names start at "/").
    execFileSync('tar', ['-xzf', tarball, '-C', pg], { stdio: 'ignore' })
  } else mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  return dataDir
}
