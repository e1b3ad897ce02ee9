/**
 * The provider-neutral CRM services of one running Leadgrid, built once by the runtime (src/runtime.ts)
 * and exposed on AppDeps as `crm`, so routes and workers of a process share one provider registry and
 * one rate-limit registry per provider (HubSpot's limits are per portal, Pipedrive's per company).
 * This is the composition root of the CRM layer: nothing below it caches services of its own.
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { SecretBox } from '../crypto/secret-box.js'
import type { Db } from '../db/database.js'
import type { IngestionService } from '../events/ingestion-service.js'
import type { JobQueue } from '../jobs/queue.js'
import { createConnectionService } from './connection-service.js'
import type { SharedDailyBudgets } from './daily-budget.js'
import { createDeliveryService, type DeliveryServiceDeps } from './delivery-service.js'
import { createHubSpotCardService } from './hubspot/card.js'
import { createHubSpotInstallService } from './hubspot/install.js'
import { createHubSpotOAuth } from './hubspot/oauth.js'
import { createHubSpotProvider } from './hubspot/provider.js'
import { createHubSpotRateLimits } from './hubspot/rate-limits.js'
import { createHubSpotWebhookService } from './hubspot/webhooks.js'
import { createPipedriveInstallService } from './pipedrive/install.js'
import { createPipedriveOAuth } from './pipedrive/oauth.js'
import { createPipedriveProvider } from './pipedrive/provider.js'
import { createPipedriveRateLimits } from './pipedrive/rate-limits.js'
import { createProviderRegistry } from './provider-registry.js'
import type { SharedRateWindows } from './rate-limiter.js'
import { createSyncService } from './sync-service.js'
import type { CrmProvider, CrmProviderName } from './types.js'
import { createWriteBackFlush } from './write-back-flush.js'

export interface CrmServicesDeps {
  config: Pick<
    Config,
    | 'PUBLIC_URL'
    | 'PIPEDRIVE_CLIENT_ID'
    | 'PIPEDRIVE_CLIENT_SECRET'
    | 'PIPEDRIVE_OAUTH_BASE'
    | 'HUBSPOT_CLIENT_ID'
    | 'HUBSPOT_CLIENT_SECRET'
    | 'HUBSPOT_APP_ID'
    | 'HUBSPOT_API_BASE'
    | 'HUBSPOT_AUTHORIZE_URL'
    | 'HUBSPOT_RATE_LIMIT_PER_10S'
    | 'SESSION_SECRET'
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
  /** Daily budgets shared by every process (server mode); unset: per process. */
  dailyBudgets?: SharedDailyBudgets | undefined
  /** Where CRM outcomes go (the outcomes store of src/outcomes/); unset: logged and dropped. */
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
  const pipedriveLimits = createPipedriveRateLimits({
    shared: deps.rateWindows,
    sharedBudgets: deps.dailyBudgets,
  })
  const pipedrive = createPipedriveProvider({
    oauth: pipedriveOAuth,
    limits: pipedriveLimits,
    secretBox,
    clock,
    publicUrl: config.PUBLIC_URL,
  })
  const hubspotOAuth = createHubSpotOAuth({
    config: { ...config, SESSION_SECRET: config.SESSION_SECRET ?? deps.sessionSecret },
    clock,
  })
  // Per-portal budget from the config (default 110 requests / 10 s, HubSpot's marketplace limit).
  const hubspotLimits = createHubSpotRateLimits({
    requestsPerTenSeconds: config.HUBSPOT_RATE_LIMIT_PER_10S,
    shared: deps.rateWindows,
  })
  const hubspot = createHubSpotProvider({ oauth: hubspotOAuth, limits: hubspotLimits, config, clock, logger })
  const providers = createProviderRegistry({
    hubspot,
    pipedrive,
  } satisfies Record<CrmProviderName, CrmProvider>)
  const connections = createConnectionService({ db, clock, logger, secretBox, providers, queue })
  const flush = createWriteBackFlush({ db, clock, logger, queue, connections, providers })
  const sync = createSyncService({
    db,
    clock,
    logger,
    queue,
    ingestion,
    connections,
    providers,
    ...(deps.recordOutcomes ? { recordOutcomes: deps.recordOutcomes } : {}),
  })
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
  const hubspotInstall = createHubSpotInstallService({
    db,
    clock,
    logger,
    secretBox,
    queue,
    oauth: hubspotOAuth,
  })
  return {
    providers,
    connections,
    flush,
    sync,
    deliveries,
    hubspot: {
      oauth: hubspotOAuth,
      limits: hubspotLimits,
      provider: hubspot,
      install: hubspotInstall,
      card: createHubSpotCardService({ db }),
      webhooks: createHubSpotWebhookService({
        logger,
        byPortal: hubspotInstall.byPortal,
        deliveries,
      }),
    },
    pipedrive: {
      oauth: pipedriveOAuth,
      limits: pipedriveLimits,
      provider: pipedrive,
      install: pipedriveInstall,
    },
  }
}

export type CrmServices = ReturnType<typeof createCrmServices>
