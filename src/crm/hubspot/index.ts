/**
 * HubSpot as a Leadgrid provider module (crm/provider-module.ts): its OAuth, per-portal rate limits
 * and adapter first; then installs, the contact card, webhooks and the routes that serve them.
 */
import type { FastifyReply } from 'fastify'
import { z } from 'zod'
import type { CrmModule, CrmModuleDeps, CrmNeutralServices, CrmProviderParts } from '../provider-module.js'
import { createHubSpotCardService } from './card.js'
import { createHubSpotInstallService } from './install.js'
import { createHubSpotOAuth, STATE_TTL_MS } from './oauth.js'
import { createHubSpotProvider } from './provider.js'
import { createHubSpotRateLimits } from './rate-limits.js'
import { hubspotRoutes } from './routes.js'
import { ATTACH_COOKIE, INSTALL_PATH } from './routes-oauth.js'
import { createHubSpotWebhookService } from './webhooks.js'

/** HubSpot's app pages (settings, the contact card's iframe) may frame the settings page. */
const FRAME_ANCESTORS = ['https://app.hubspot.com', 'https://app-eu1.hubspot.com', 'https://*.hubspot.com']

function build(deps: CrmModuleDeps) {
  const { config, clock, logger, db } = deps
  const oauth = createHubSpotOAuth({
    config: { ...config, SESSION_SECRET: config.SESSION_SECRET ?? deps.sessionSecret },
    clock,
    db,
  })
  // Per-portal budget from the config (default 110 requests / 10 s, HubSpot's marketplace limit).
  const limits = createHubSpotRateLimits({
    requestsPerTenSeconds: config.HUBSPOT_RATE_LIMIT_PER_10S,
    shared: deps.rateWindows,
  })
  const provider = createHubSpotProvider({ oauth, limits, config, clock, logger })
  return {
    provider,
    parts: (services: CrmNeutralServices) => parts(deps, services, { oauth, limits, provider }),
  }
}

function parts(
  deps: CrmModuleDeps,
  neutral: CrmNeutralServices,
  built: Pick<HubSpotServices, 'oauth' | 'limits' | 'provider'>,
): CrmProviderParts {
  const { config, db, clock, logger, secretBox, queue } = deps
  const install = createHubSpotInstallService({ db, clock, logger, secretBox, queue, oauth: built.oauth })
  const hubspot: HubSpotServices = {
    ...built,
    install,
    card: createHubSpotCardService({ db }),
    webhooks: createHubSpotWebhookService({
      logger,
      byPortal: install.byPortal,
      deliveries: neutral.deliveries,
    }),
  }
  const https = config.PUBLIC_URL.startsWith('https:')
  return {
    name: 'hubspot',
    provider: built.provider,
    settingsSchema: z.object({ lifecycleOnMql: z.boolean() }).strict(),
    frameAncestors: FRAME_ANCESTORS,
    connectionsTab: {
      label: 'HubSpot',
      configured: () => Boolean(config.HUBSPOT_CLIENT_ID && config.HUBSPOT_CLIENT_SECRET),
      notConfigured: {
        message:
          'HubSpot is not configured on this server: set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET and restart',
        code: 'hubspot_not_configured',
      },
      // Bound to this browser by a cookie the install route checks (see routes-oauth.ts).
      installLink(workspaceId: string, reply: FastifyReply): string {
        const ticket = hubspot.oauth.createState({ workspaceId })
        reply.setCookie(ATTACH_COOKIE, ticket, {
          path: INSTALL_PATH,
          httpOnly: true,
          sameSite: 'lax',
          secure: https,
          maxAge: STATE_TTL_MS / 1000,
        })
        return `${INSTALL_PATH}?attach=${encodeURIComponent(ticket)}`
      },
    },
    signInHint: {
      en: 'From HubSpot: open the Leadgrid app settings (or a contact\u2019s Leadgrid card) and click “Open Leadgrid settings”.',
      fr: 'Depuis HubSpot : ouvrez les paramètres de l\u2019application Leadgrid (ou la carte Leadgrid d\u2019un contact) et cliquez sur « Ouvrir les paramètres Leadgrid ».',
    },
    routes: hubspotRoutes({ ...deps, crm: { hubspot } }),
    services: hubspot,
  }
}

/** HubSpot's own services (its tests reach them through `crm.parts('hubspot').services`). */
export interface HubSpotServices {
  oauth: ReturnType<typeof createHubSpotOAuth>
  limits: ReturnType<typeof createHubSpotRateLimits>
  provider: ReturnType<typeof createHubSpotProvider>
  install: ReturnType<typeof createHubSpotInstallService>
  card: ReturnType<typeof createHubSpotCardService>
  webhooks: ReturnType<typeof createHubSpotWebhookService>
}

export const hubspotModule: CrmModule = { name: 'hubspot', build }
