/**
 * The HubSpot services of one running Leadgrid, built once per AppDeps so the HTTP routes and the
 * workers of a process share one rate-limit registry (HubSpot's limits are per portal).
 */
import type { AppDeps } from '../../app-deps.js'
import { createHubSpotCardService } from './hubspot-card-service.js'
import { createHubSpotConnections } from './hubspot-connections.js'
import { createHubSpotSyncService } from './hubspot-sync-service.js'
import { createHubSpotWebhookService } from './hubspot-webhook-service.js'
import { createHubSpotOAuth } from './oauth.js'
import { createHubSpotRateLimits } from './rate-limiter.js'

type Deps = Pick<
  AppDeps,
  'config' | 'db' | 'clock' | 'logger' | 'queue' | 'secretBox' | 'sessionSecret' | 'ingestion' | 'rateWindows'
>

const built = new WeakMap<object, ReturnType<typeof build>>()

function build(deps: Deps) {
  const { config, db, clock, logger, queue, secretBox, ingestion } = deps
  const oauth = createHubSpotOAuth({
    config: { ...config, SESSION_SECRET: config.SESSION_SECRET ?? deps.sessionSecret },
    clock,
  })
  // Per-portal budget from the config (default 110 requests / 10 s, HubSpot's marketplace limit),
  // shared by every process when the runtime provides shared windows (server mode).
  const limits = createHubSpotRateLimits({
    requestsPerTenSeconds: config.HUBSPOT_RATE_LIMIT_PER_10S,
    shared: deps.rateWindows,
  })
  const connections = createHubSpotConnections({ db, clock, logger, secretBox, queue, oauth, limits, config })
  const webhooks = createHubSpotWebhookService({ db, clock, logger, queue, ingestion, connections, config })
  const sync = createHubSpotSyncService({ db, clock, logger, queue, ingestion, connections })
  const card = createHubSpotCardService({ db })
  return { oauth, limits, connections, webhooks, sync, card }
}

export function hubspotServices(deps: Deps) {
  let s = built.get(deps)
  if (!s) {
    s = build(deps)
    built.set(deps, s)
  }
  return s
}

export type HubSpotServices = ReturnType<typeof hubspotServices>
