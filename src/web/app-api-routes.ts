/**
 * /app/api/… — the JSON the settings page and contact view read and write, one file per tab.
 * Authenticated by the session cookie (never an API key); every query takes the session's one
 * workspace id; writes need a CSRF token and, for grids, the admin role. The guard is set once
 * here, before any tab's routes, so no route can be added without it.
 */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { guardAppApi } from '../sessions/app-session.js'
import { calibrationApiRoutes } from './calibration-api-routes.js'
import { connectionsApiRoutes } from './connections-api-routes.js'
import { contactsApiRoutes } from './contacts-api-routes.js'
import { gridApiRoutes } from './grid-api-routes.js'
import { previewApiRoutes } from './preview-api-routes.js'
import { sessionApiRoutes } from './session-api-routes.js'
import { versionsApiRoutes } from './versions-api-routes.js'

export function appApiRoutes(deps: AppDeps) {
  return async function register(api: FastifyInstance) {
    guardAppApi(api)
    await api.register(sessionApiRoutes(deps))
    await api.register(gridApiRoutes(deps))
    await api.register(previewApiRoutes(deps))
    await api.register(versionsApiRoutes(deps))
    await api.register(contactsApiRoutes(deps))
    await api.register(connectionsApiRoutes(deps))
    await api.register(calibrationApiRoutes(deps))
  }
}
