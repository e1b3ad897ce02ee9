/**
 * Runs once per `vitest run`: builds the migrated template every test file clones.
 * Embedded (no DATABASE_URL): a PGlite data dir dumped to a tarball. Server: a template database.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { createKysely } from '../../src/db/database.js'
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js'
import { migrate } from '../../src/db/migrate.js'
import { startJobQueue } from '../../src/jobs/queue.js'
import { createLogger } from '../../src/logger.js'

declare module 'vitest' {
  export interface ProvidedContext {
    templateTarball: string | null
    templateDatabaseUrl: string | null
    templateDatabaseName: string
  }
}

/**
 * One template per run (its pid in the name), so two runs against the same server — two checkouts,
 * or a developer beside CI — never drop each other's template mid-run.
 */
const TEMPLATE_DB = `leadgrid_template_${process.pid}`

async function prepare(connectionString: string): Promise<void> {
  const { db, pool } = createKysely(connectionString, 1)
  await migrate(db)
  // pg-boss installs its own schema on first start; do it once here rather than in every file.
  const queue = await startJobQueue({
    connectionString,
    pool,
    logger: createLogger('silent'),
    schedule: false,
  })
  await queue.stop()
  await db.destroy()
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres()
    await prepare(embedded.connectionString)
    const dump = await embedded.pglite.dumpDataDir('gzip')
    const dir = join(process.cwd(), 'test/.tmp')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, 'template.tar.gz')
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()))
    await embedded.close()
    project.provide('templateTarball', file)
    project.provide('templateDatabaseUrl', null)
    project.provide('templateDatabaseName', '')
    return undefined
  }
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`)
  const templateUrl = new URL(serverUrl)
  templateUrl.pathname = `/${TEMPLATE_DB}`
  await prepare(templateUrl.toString())
  await admin.end()
  project.provide('templateTarball', null)
  project.provide('templateDatabaseUrl', serverUrl)
  project.provide('templateDatabaseName', TEMPLATE_DB)
  // Vitest calls the returned function when the run ends: this run's template goes with it.
  return async () => {
    const client = new pg.Client({ connectionString: serverUrl })
    await client.connect()
    await client.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
    await client.end()
  }
}
