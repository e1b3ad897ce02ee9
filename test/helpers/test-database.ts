/**
 * A fresh, migrated database for one test file: loaded from the PGlite template dump (embedded),
 * or created from the template database on the Postgres server (CI with DATABASE_URL).
 */
import { readFileSync } from 'node:fs'
import { inject } from 'vitest'
import type { DatabaseHandle } from '../../src/db/database.js'
import { openScratchDatabase } from '../../src/db/scratch-database.js'

export async function createTestDatabase(): Promise<DatabaseHandle> {
  const tarball = inject('templateTarball')
  if (tarball) return openScratchDatabase({ loadDataDir: new Blob([readFileSync(tarball)]) })
  return openScratchDatabase({
    serverUrl: inject('templateDatabaseUrl')!,
    template: inject('templateDatabaseName'),
    prefix: 'leadgrid_t',
  })
}
