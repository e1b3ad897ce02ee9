/**
 * Assembles a running Leadgrid from its config: database (migrated), job queue, services. The one
 * composition root: every service is built here, once per process, and handed down through
 * AppDeps — routes, commands and jobs receive ready instances and build none of their own.
 * server.ts, the CLI and the tests all start from here, so they run the same code paths.
 */

import type { Logger } from 'pino'
import type { AppDeps, AppServices } from './app-deps.js'
import { createBacktestService } from './calibration/backtest-service.js'
import { createChallengerService } from './calibration/challenger-service.js'
import { createChallengerShadow } from './calibration/challenger-shadow.js'
import { createKpiService } from './calibration/kpi-service.js'
import { createSuggestService } from './calibration/suggest-service.js'
import { type Clock, systemClock } from './clock.js'
import type { Config } from './config.js'
import { createCrmServices } from './crm/crm-services.js'
import { writeBackMappingsOf } from './crm/provider-registry.js'
import { CRM_MODULES } from './crm/providers.js'
import { createSharedDailyBudgets } from './crm/shared-daily-budgets.js'
import { createSharedRateWindows } from './crm/shared-rate-windows.js'
import { resolveSecrets } from './crypto/local-secrets.js'
import { createSecretBox } from './crypto/secret-box.js'
import { type DatabaseHandle, type Db, openDatabase, pingDatabase } from './db/database.js'
import { lagSnapshot } from './db/lag-repository.js'
import { migrate, pendingMigrations } from './db/migrate.js'
import { createIngestionService, type IngestionService } from './events/ingestion-service.js'
import { createGridPreviewService } from './grids/grid-preview-service.js'
import { createGridPublishingService } from './grids/grid-publishing-service.js'
import { createGridService } from './grids/grid-service.js'
import { createPublishApprovalService } from './grids/publish-approval-service.js'
import { createAuthFailureLimiter } from './http/auth-failure-limiter.js'
import { type JobQueue, startJobQueue } from './jobs/queue.js'
import { createMetrics } from './metrics.js'
import { createOutcomeService, crmOutcomeRecorder } from './outcomes/outcome-service.js'
import { createRescoreService, type RescoreDeps } from './rescoring/rescore-service.js'
import { createScoreWorkerPool, type ScorePool } from './rescoring/score-worker-pool.js'
import { type CompiledGridCache, createCompiledGridCache } from './scoring/index.js'
import { createTrackingService } from './tracking/tracking-service.js'

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
  const deps = buildServices({ config, logger, clock, database, queue })
  return {
    deps,
    database,
    async close() {
      await queue.stop()
      await deps.scorePool.close()
      await database.close()
    },
  }
}

/** Every service of the process, each built once, in the order they need one another. */
function buildServices(base: {
  config: Readonly<Config>
  logger: Logger
  clock: Clock
  database: DatabaseHandle
  queue: JobQueue
}): AppDeps {
  const { config, logger, clock, database, queue } = base
  const metrics = createMetrics({
    queueDepth: () => queue.depth(),
    lag: () => lagSnapshot(database.db),
    now: () => clock.now(),
  })
  const secrets = resolveSecrets(config)
  const ingestion = createIngestionService({ db: database.db, queue, clock, logger, metrics })
  const secretBox = createSecretBox(secrets.encryptionKey)
  const outcomes = createOutcomeService({ db: database.db })
  // Server mode: every process draws on one window per CRM account.
  const rateWindows = database.embedded ? undefined : createSharedRateWindows({ db: database.db, logger })
  const dailyBudgets = database.embedded ? undefined : createSharedDailyBudgets({ db: database.db, logger })
  const crm = createCrmServices({
    modules: CRM_MODULES,
    config,
    db: database.db,
    clock,
    logger,
    queue,
    secretBox,
    sessionSecret: secrets.sessionSecret,
    ingestion,
    recordOutcomes: crmOutcomeRecorder(outcomes),
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
  return {
    ...appServices({ db: database.db, clock, queue, ingestion, ...scoring }),
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
    outcomes,
    crm,
    rateWindows,
    authFailures: createAuthFailureLimiter(clock),
    readiness: () => readinessOf(database.db),
  }
}

/** Grids, calibration and tracking: the services the routes and commands share. */
function appServices(deps: {
  db: Db
  clock: Clock
  queue: JobQueue
  ingestion: IngestionService
  compiledGrids: CompiledGridCache
  scorePool: ScorePool
}): AppServices {
  const { db, clock, queue, ingestion, compiledGrids, scorePool } = deps
  const grids = createGridService({ db, clock, queue, compiledGrids })
  const publishing = createGridPublishingService({ db, grids })
  const backtests = createBacktestService({ db, compiledGrids })
  return {
    grids,
    publishing,
    preview: createGridPreviewService({ db, clock, compiledGrids, scorePool }),
    approvals: createPublishApprovalService({ db, clock, publishing }),
    calibration: {
      backtests,
      suggestions: createSuggestService({ db, compiledGrids }),
      challengers: createChallengerService({ db, clock, compiledGrids, publishing, backtests }),
      kpis: createKpiService({ db, clock }),
    },
    tracking: createTrackingService({ db, ingestion }),
  }
}

/** Database reachable and migrated (GET /readyz). */
async function readinessOf(db: Db): Promise<{ ok: boolean; detail: string }> {
  try {
    await pingDatabase(db)
    const pending = await pendingMigrations(db)
    return pending.length === 0
      ? { ok: true, detail: 'database reachable, migrations applied' }
      : { ok: false, detail: `migrations pending: ${pending.join(', ')}` }
  } catch (err) {
    return { ok: false, detail: `database unreachable: ${(err as Error).message}` }
  }
}
