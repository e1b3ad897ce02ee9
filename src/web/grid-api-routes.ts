/**
 * The Grid tab's JSON: the workspace's grid versions, one version, and a draft checked as the
 * editor types (every issue with its path, nothing stored).
 */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { gridView } from '../grids/grid-service.js'
import { parseGrid } from '../scoring/index.js'
import { sessionOf } from '../sessions/app-session.js'
import { definitionBodyOf } from './grid-definition-body.js'

export function gridApiRoutes(deps: Pick<AppDeps, 'grids'>) {
  const { grids } = deps
  return async function register(api: FastifyInstance) {
    api.get('/grids', async (request) => {
      const rows = await grids.list(sessionOf(request).workspaceId)
      return { grids: rows.map(({ definition: _d, ...row }) => gridView({ ...row, definition: null })) }
    })

    api.get<{ Params: { id: string } }>('/grids/:id', async (request) =>
      gridView(await grids.get(sessionOf(request).workspaceId, request.params.id)),
    )

    api.post('/grids/validate', async (request) => {
      sessionOf(request)
      const parsed = parseGrid(definitionBodyOf(request.body).definition)
      return parsed.ok ? { ok: true, issues: [] } : { ok: false, issues: parsed.issues }
    })
  }
}
