/**
 * The services of grids, calibration, outcomes and tracking, each built once for the process and
 * handed to routes, commands and jobs through AppDeps (runtime.ts puts them there). Nothing below
 * the composition root builds a service of its own: a second instance would be a second cache, a
 * second pool, a second idea of what is published.
 */
import type { AppServices } from './app-deps.js'
import { createBacktestService } from './calibration/backtest-service.js'
import { createChallengerService } from './calibration/challenger-service.js'
import { createKpiService } from './calibration/kpi-service.js'
import { createSuggestService } from './calibration/suggest-service.js'
import type { Clock } from './clock.js'
import type { Db } from './db/database.js'
import type { IngestionService } from './events/ingestion-service.js'
import { createGridPreviewService } from './grids/grid-preview-service.js'
import { createGridPublishingService } from './grids/grid-publishing-service.js'
import { createGridService } from './grids/grid-service.js'
import { createPublishApprovalService } from './grids/publish-approval-service.js'
import type { JobQueue } from './jobs/queue.js'
import { createTrackingService } from './tracking/tracking-service.js'

export function buildAppServices(deps: {
  db: Db
  clock: Clock
  queue: JobQueue
  ingestion: IngestionService
}): AppServices {
  const { db, clock, queue, ingestion } = deps
  const grids = createGridService({ db, clock, queue })
  const publishing = createGridPublishingService({ db, grids })
  return {
    grids,
    publishing,
    preview: createGridPreviewService({ db, clock }),
    approvals: createPublishApprovalService({ db, clock, publishing }),
    calibration: {
      backtests: createBacktestService({ db }),
      suggestions: createSuggestService({ db }),
      challengers: createChallengerService({ db, clock, publishing }),
      kpis: createKpiService({ db, clock }),
    },
    tracking: createTrackingService({ db, ingestion }),
  }
}
