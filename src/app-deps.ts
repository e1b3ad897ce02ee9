/**
 * Everything a running Leadgrid needs, built once (src/runtime.ts) and handed to the HTTP app and
 * the workers. Services take only the parts they use (`Pick<AppDeps, …>`).
 */
import type { Logger } from 'pino'
import type { Clock } from './clock.js'
import type { Config } from './config.js'
import type { CrmServices } from './crm/crm-services.js'
import type { SharedRateWindows } from './crm/hubspot/rate-limiter.js'
import type { SecretBox } from './crypto/secret-box.js'
import type { Db } from './db/database.js'
import type { IngestionService } from './events/ingestion-service.js'
import type { JobQueue } from './jobs/queue.js'
import type { Metrics } from './metrics.js'
import type { RescoreService } from './rescoring/rescore-service.js'
import type { ScorePool } from './rescoring/score-worker-pool.js'
import type { CompiledGridCache } from './scoring/index.js'

export interface AppDeps {
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
  /** The provider-neutral CRM services (Pipedrive today; HubSpot joins next session). */
  crm: CrmServices
  /**
   * CRM request windows shared by every process through PostgreSQL (server mode); undefined on
   * embedded PGlite, one process, where each limiter's in-memory window is exact.
   */
  rateWindows?: SharedRateWindows | undefined
  /** Database reachable and migrated (GET /readyz). */
  readiness(): Promise<{ ok: boolean; detail: string }>
}
