/**
 * Pipedrive as a Leadgrid provider module (crm/provider-module.ts): its OAuth, per-company rate
 * limits and adapter first; then installs, the routes, and the sign-in from Pipedrive's app settings
 * and panel.
 */
import { z } from 'zod'
import type { CrmModule, CrmModuleDeps, CrmNeutralServices, CrmProviderParts } from '../provider-module.js'
import { createPipedriveInstallService } from './install.js'
import { createPipedriveOAuth } from './oauth.js'
import { createPipedriveProvider } from './provider.js'
import { createPipedriveRateLimits } from './rate-limits.js'
import { pipedriveApiRoutes, pipedriveRoutes } from './routes.js'
import { pipedriveSignInGrant } from './sign-in.js'

/** Pipedrive's custom UI extensions may frame the settings page. */
const FRAME_ANCESTORS = ['https://*.pipedrive.com']

function build(deps: CrmModuleDeps) {
  const { config, clock, secretBox } = deps
  const oauth = createPipedriveOAuth(
    {
      clientId: config.PIPEDRIVE_CLIENT_ID,
      clientSecret: config.PIPEDRIVE_CLIENT_SECRET,
      oauthBase: config.PIPEDRIVE_OAUTH_BASE,
      redirectUri: `${config.PUBLIC_URL}/oauth/pipedrive/callback`,
    },
    { now: () => clock.now() },
  )
  // Real time, not the injected clock: burst windows must advance even under a fixed test clock.
  const limits = createPipedriveRateLimits({ shared: deps.rateWindows, sharedBudgets: deps.dailyBudgets })
  const provider = createPipedriveProvider({ oauth, limits, secretBox, clock, publicUrl: config.PUBLIC_URL })
  return {
    provider,
    parts: (services: CrmNeutralServices) => parts(deps, services, { oauth, limits, provider }),
  }
}

function parts(
  deps: CrmModuleDeps,
  neutral: CrmNeutralServices,
  built: Pick<PipedriveServices, 'oauth' | 'limits' | 'provider'>,
): CrmProviderParts {
  const { db, clock, logger, queue, secretBox } = deps
  const install = createPipedriveInstallService({
    db,
    clock,
    logger,
    queue,
    secretBox,
    oauth: built.oauth,
    limits: built.limits,
    sessionSecret: deps.sessionSecret,
  })
  const pipedrive: PipedriveServices = { ...built, install }
  const routeDeps = { ...deps, crm: { pipedrive, deliveries: neutral.deliveries } }
  return {
    name: 'pipedrive',
    provider: built.provider,
    // No settings yet: a PATCH with anything is refused (400) rather than stored and silently ignored.
    settingsSchema: z.object({}).strict(),
    frameAncestors: FRAME_ANCESTORS,
    connectionsTab: {
      label: 'Pipedrive',
      configured: () => pipedrive.oauth.configured(),
      notConfigured: {
        message:
          'Pipedrive is not configured on this server: set PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET and restart',
        code: 'pipedrive_not_configured',
      },
      // A signed, 10-minute attach token in the link (Pipedrive's own installs arrive without one
      // and make or reuse their company's workspace).
      installLink: (workspaceId) =>
        `/oauth/pipedrive/install?attach=${encodeURIComponent(pipedrive.install.attachToken(workspaceId))}`,
    },
    // From Pipedrive: the app-settings link (Pipedrive's own JWT) or the panel's settings link.
    signIn: { path: '/pipedrive', grant: (token) => pipedriveSignInGrant(deps, token) },
    routes: pipedriveRoutes(routeDeps),
    apiRoutes: pipedriveApiRoutes(routeDeps),
    services: pipedrive,
  }
}

/** Pipedrive's own services (its tests reach them through `crm.parts('pipedrive').services`). */
export interface PipedriveServices {
  oauth: ReturnType<typeof createPipedriveOAuth>
  limits: ReturnType<typeof createPipedriveRateLimits>
  provider: ReturnType<typeof createPipedriveProvider>
  install: ReturnType<typeof createPipedriveInstallService>
}

export const pipedriveModule: CrmModule = { name: 'pipedrive', build }
