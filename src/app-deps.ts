/**
 * Everything a running Leadgrid needs, built once (src/runtime.ts) and handed to
 * the HTTP app, the commands and the workers. Those take only the parts they use
 * (`Pick<AppDeps, …>`); the services below the app contract declare narrow deps of their own.
 */
import type { Logger } from 'pino'
import type { createBacktestService } from './calibration/backtest-service.js'
import type { ChallengerService } from './calibration/challenger-service.js'
import type { KpiService } from './calibration/kpi-service.js'
import type { SuggestService } from './calibration/suggest-service.js'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import type { CrmServices } from './crm/crm-services.js'
import type { SharedRateWindows } from './crm/rate-limiter.js'
import type { SecretBox } from './crypto/secret-box.js'
import type { Db } from './db/database.js'
import type { IngestionService } from './events/ingestion-service.js'
import type { GridPreviewService } from './grids/grid-preview-service.js'
import type { GridPublishingService } from './grids/grid-publishing-service.js'
import type { GridService } from './grids/grid-service.js'
import type { PublishApprovalService } from './grids/publish-approval-service.js'
import type { AuthFailureLimiter } from './http/auth-failure-limiter.js'
import type { JobQueue } from './jobs/queue.js'
import type { Metrics } from './metrics.js'
import type { OutcomeService } from './outcomes/outcome-service.js'
import type { RescoreService } from './rescoring/rescore-service.js'
import type { ScorePool } from './rescoring/score-worker-pool.js'
import type { CompiledGridCache } from './scoring/index.js'
import type { TrackingService } from './tracking/tracking-service.js'

/** Backtests, suggestions, the challenger and the KPIs: the API's and the settings page's alike. */
export interface CalibrationServices {
  backtests: ReturnType<typeof createBacktestService>
  suggestions: SuggestService
  challengers: ChallengerService
  kpis: KpiService
}

/** The services of grids, calibration and tracking (built by src/runtime.ts). */
export interface AppServices {
  grids: GridService
  publishing: GridPublishingService
  preview: GridPreviewService
  approvals: PublishApprovalService
  calibration: CalibrationServices
  tracking: TrackingService
}

export interface AppDeps extends AppServices {
  config: Readonly<Config>
  db: Db
  clock: Clock
  logger: Logger
  queue: JobQueue
  metrics: Metrics
  secretBox: SecretBox
  sessionSecret: string
  ingestion: IngestionService
  /** The main thread's compiled grids, by grid id. */
  compiledGrids: CompiledGridCache
  /** The scoring threads of bulk scoring (rescore passes, preview). */
  scorePool: ScorePool
  rescore: RescoreService
  outcomes: OutcomeService
  /** The provider-neutral CRM services. */
  crm: CrmServices
  /**
   * CRM request windows shared by every process through PostgreSQL (server mode); undefined on
   * embedded PGlite, one process, where each limiter's in-memory window is exact.
   */
  rateWindows?: SharedRateWindows | undefined
  /** Failed key checks per client address, shared by every route that checks a guessable key. */
  authFailures: AuthFailureLimiter
  /** Database reachable and migrated (GET /readyz). */
  readiness(): Promise<{ ok: boolean; detail: string }>
}
