/**
 * The provider-neutral CRM services of one running Leadgrid, built once by the runtime (src/runtime.ts)
 * and exposed on AppDeps as `crm`, so routes and workers of a process share one provider registry and
 * one Pipedrive rate-limit registry (its limits are per company).
 *
 * Registered today: Pipedrive. HubSpot still runs on src/crm/hubspot/hubspot-services.ts and joins
 * this registry next session.
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { SecretBox } from '../crypto/secret-box.js'
import type { Db } from '../db/database.js'
import type { IngestionService } from '../events/ingestion-service.js'
import type { JobQueue } from '../jobs/queue.js'
import { createConnectionService } from './connection-service.js'
import { createDeliveryService, type DeliveryServiceDeps } from './delivery-service.js'
import type { SharedRateWindows } from './hubspot/rate-limiter.js'
import { createPipedriveInstallService } from './pipedrive/pipedrive-install-service.js'
import { createPipedriveOAuth } from './pipedrive/pipedrive-oauth.js'
import { createPipedriveProvider } from './pipedrive/pipedrive-provider.js'
import { createPipedriveRateLimits } from './pipedrive/pipedrive-rate-limits.js'
import { createProviderRegistry } from './provider-registry.js'
import { createSyncService } from './sync-service.js'
import { createWriteBackFlush } from './write-back-flush.js'

export interface CrmServicesDeps {
  config: Pick<
    Config,
    'PUBLIC_URL' | 'PIPEDRIVE_CLIENT_ID' | 'PIPEDRIVE_CLIENT_SECRET' | 'PIPEDRIVE_OAUTH_BASE'
  >
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  secretBox: SecretBox
  sessionSecret: string
  ingestion: Pick<IngestionService, 'ingest'>
  /** Burst windows shared by every process (server mode); unset: per process. */
  rateWindows?: SharedRateWindows | undefined
  /** Where deal outcomes go (the outcomes store of src/outcomes/); unset: logged and dropped. */
  recordOutcomes?: DeliveryServiceDeps['recordOutcomes']
}

export function createCrmServices(deps: CrmServicesDeps) {
  const { config, db, clock, logger, queue, secretBox, ingestion } = deps
  const pipedriveOAuth = createPipedriveOAuth(
    {
      clientId: config.PIPEDRIVE_CLIENT_ID,
      clientSecret: config.PIPEDRIVE_CLIENT_SECRET,
      oauthBase: config.PIPEDRIVE_OAUTH_BASE,
      redirectUri: `${config.PUBLIC_URL}/oauth/pipedrive/callback`,
    },
    { now: () => clock.now() },
  )
  // Real time, not the injected clock: burst windows must advance even under a fixed test clock.
  const pipedriveLimits = createPipedriveRateLimits({ shared: deps.rateWindows })
  const pipedrive = createPipedriveProvider({
    oauth: pipedriveOAuth,
    limits: pipedriveLimits,
    secretBox,
    clock,
    publicUrl: config.PUBLIC_URL,
  })
  const providers = createProviderRegistry({ pipedrive })
  const connections = createConnectionService({ db, clock, logger, secretBox, providers })
  const flush = createWriteBackFlush({ db, clock, logger, queue, connections, providers })
  const sync = createSyncService({ db, clock, logger, queue, ingestion, connections })
  const deliveries = createDeliveryService({
    db,
    clock,
    logger,
    queue,
    ingestion,
    connections,
    providers,
    ...(deps.recordOutcomes ? { recordOutcomes: deps.recordOutcomes } : {}),
  })
  const pipedriveInstall = createPipedriveInstallService({
    db,
    clock,
    logger,
    queue,
    secretBox,
    oauth: pipedriveOAuth,
    limits: pipedriveLimits,
    sessionSecret: deps.sessionSecret,
  })
  return {
    providers,
    connections,
    flush,
    sync,
    deliveries,
    pipedrive: {
      oauth: pipedriveOAuth,
      limits: pipedriveLimits,
      provider: pipedrive,
      install: pipedriveInstall,
    },
  }
}

export type CrmServices = ReturnType<typeof createCrmServices>
