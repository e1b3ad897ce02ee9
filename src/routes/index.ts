/**
 * Every route plugin and where it is mounted. One line per plugin; each CRM provider's routes come
 * from its module in the registry (crm/<provider>/index.ts), public and under /api/v1.
 */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { apiKeyAuth } from '../http/api-key-auth.js'
import { appRoutes } from '../web/app-routes.js'
import { calibrationRoutes } from './calibration-routes.js'
import { connectionRoutes } from './connection-routes.js'
import { gridRoutes } from './grid-routes.js'
import { healthRoutes } from './health-routes.js'
import { ingestionRoutes } from './ingestion-routes.js'
import { outcomeRoutes } from './outcome-routes.js'
import { scoreRoutes } from './score-routes.js'
import { trackingRoutes } from './tracking-routes.js'

export async function registerRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(healthRoutes(deps))
  await app.register(trackingRoutes(deps))
  for (const crm of deps.crm.allParts()) await app.register(crm.routes)

  // The workspace API: every route below requires a workspace API key.
  await app.register(
    async (api) => {
      api.decorateRequest('workspaceId', '')
      api.addHook(
        'onRequest',
        apiKeyAuth(deps.db, deps.authFailures, () => deps.clock.now().getTime()),
      )
      await api.register(ingestionRoutes(deps))
      await api.register(scoreRoutes(deps))
      await api.register(gridRoutes(deps))
      await api.register(connectionRoutes(deps))
      await api.register(outcomeRoutes(deps))
      await api.register(calibrationRoutes(deps))
      for (const crm of deps.crm.allParts()) if (crm.apiRoutes) await api.register(crm.apiRoutes)
    },
    { prefix: '/api/v1' },
  )

  // The settings page and contact view (/, /app, /app/api): session cookie, not API keys.
  await app.register(appRoutes(deps))
}
