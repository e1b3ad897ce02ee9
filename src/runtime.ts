/**
 * Assembles a running Leadgrid from its config: database (migrated), job queue, services.
 * server.ts, the CLI and the tests all start from here, so they run the same code paths.
 */

import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { AppDeps } from './app-deps.js'
import { createChallengerShadow } from './calibration/challenger-shadow.js'
import { type Clock, systemClock } from './clock.js'
import type { Config } from './config.js'
import { createCrmServices } from './crm/crm-services.js'
import { writeBackMappingsOf } from './crm/provider-registry.js'
import { createSharedDailyBudgets } from './crm/shared-daily-budgets.js'
import { createSharedRateWindows } from './crm/shared-rate-windows.js'
import { resolveSecrets } from './crypto/local-secrets.js'
import { createSecretBox } from './crypto/secret-box.js'
import { type DatabaseHandle, openDatabase } from './db/database.js'
import { lagSnapshot } from './db/lag-repository.js'
import { migrate, pendingMigrations } from './db/migrate.js'
import { createIngestionService } from './events/ingestion-service.js'
import { startJobQueue } from './jobs/queue.js'
import { createMetrics } from './metrics.js'
import { crmOutcomeRecorder } from './outcomes/outcome-service.js'
import { createRescoreService, type RescoreDeps } from './rescoring/rescore-service.js'
import { createScoreWorkerPool } from './rescoring/score-worker-pool.js'
import { createCompiledGridCache } from './scoring/index.js'

export interface Runtime {
  deps: AppDeps
  database: DatabaseHandle
  close(): Promise<void>
}

/**
 * The main thread's compiled grids, the scoring threads (started on first use, stopped when idle)
 * — one of each per process, shared by every service that scores — and the rescore service, which
 * also scores each page with the workspace's challenger grid, if it has one.
 */
function startScoring(
  deps: Pick<AppDeps, 'db' | 'clock' | 'logger' | 'queue' | 'metrics'> &
    Pick<RescoreDeps, 'writeBackMappings'>,
) {
  const { metrics } = deps
  const compiledGrids = createCompiledGridCache()
  const scorePool = createScoreWorkerPool()
  const rescore = createRescoreService({
    ...deps,
    compiledGrids,
    scorePool,
    afterPageScored: createChallengerShadow({ compiledGrids }),
    onBatch: ({ contacts, ms }) => {
      metrics.contactsScored.inc(contacts)
      metrics.scoringBatchSeconds.observe(ms / 1000)
    },
  })
  return { compiledGrids, scorePool, rescore }
}

export async function startRuntime(
  config: Readonly<Config>,
  logger: Logger,
  options: {
    clock?: Clock
    database?: DatabaseHandle
    schedule?: boolean
    pollingIntervalSeconds?: number
    /** false: leave migrations to the caller (`leadgrid migrate` reports what it applied). */
    migrate?: boolean
  } = {},
): Promise<Runtime> {
  const clock = options.clock ?? systemClock
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.embeddedDatabase ? `${config.DATA_DIR}/pg` : undefined,
      ssl: config.databaseSsl,
    }))
  const applied = options.migrate === false ? [] : await migrate(database.db)
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated')
  const queue = await startJobQueue({
    connectionString: database.connectionString,
    pool: database.embedded ? database.pool : undefined,
    ssl: database.ssl,
    logger,
    schedule: options.schedule,
    pollingIntervalSeconds: options.pollingIntervalSeconds,
  })
  const metrics = createMetrics({
    queueDepth: () => queue.depth(),
    lag: () => lagSnapshot(database.db),
    now: () => clock.now(),
  })
  const secrets = resolveSecrets(config)
  const ingestion = createIngestionService({ db: database.db, queue, clock, logger, metrics })
  const secretBox = createSecretBox(secrets.encryptionKey)
  // Server mode: every process draws on one window per CRM account (issue 9, item 5).
  const rateWindows = database.embedded ? undefined : createSharedRateWindows({ db: database.db, logger })
  const dailyBudgets = database.embedded ? undefined : createSharedDailyBudgets({ db: database.db, logger })
  const crm = createCrmServices({
    config,
    db: database.db,
    clock,
    logger,
    queue,
    secretBox,
    sessionSecret: secrets.sessionSecret,
    ingestion,
    recordOutcomes: crmOutcomeRecorder({ db: database.db }),
    rateWindows,
    dailyBudgets,
  })
  const scoring = startScoring({
    db: database.db,
    clock,
    logger,
    queue,
    metrics,
    // The providers' own mappings (one registry, built by the CRM services).
    writeBackMappings: writeBackMappingsOf(crm.providers),
  })
  const deps: AppDeps = {
    config,
    db: database.db,
    clock,
    logger,
    queue,
    metrics,
    secretBox,
    sessionSecret: secrets.sessionSecret,
    ingestion,
    ...scoring, // compiledGrids, scorePool, rescore
    crm,
    rateWindows,
    async readiness() {
      try {
        await sql`SELECT 1`.execute(database.db)
        const pending = await pendingMigrations(database.db)
        return pending.length === 0
          ? { ok: true, detail: 'database reachable, migrations applied' }
          : { ok: false, detail: `migrations pending: ${pending.join(', ')}` }
      } catch (err) {
        return { ok: false, detail: `database unreachable: ${(err as Error).message}` }
      }
    },
  }
  return {
    deps,
    database,
    async close() {
      await queue.stop()
      await scoring.scorePool.close()
      await database.close()
    },
  }
}
