/**
 * The Preview & publish tab's JSON: every contact scored with the draft beside the published grid,
 * the publish itself (or, under the two-person rule, the request for it), and the rescore progress
 * a publish starts.
 */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { gridView } from '../grids/grid-service.js'
import { requireAdmin, sessionOf } from '../sessions/app-session.js'
import { definitionBodyOf, validatedGrid } from './grid-definition-body.js'

export function previewApiRoutes(deps: Pick<AppDeps, 'preview' | 'publishing' | 'approvals'>) {
  const { preview, publishing, approvals } = deps
  return async function register(api: FastifyInstance) {
    api.post('/grids/preview', async (request) => {
      const s = sessionOf(request)
      return preview.preview(s.workspaceId, validatedGrid(definitionBodyOf(request.body).definition))
    })

    api.post('/grids/publish', async (request, reply) => {
      const s = requireAdmin(request)
      const { definition, note } = definitionBodyOf(request.body)
      validatedGrid(definition)
      // Two-person rule: the publish waits for another admin (202 Accepted, nothing published yet).
      if (await approvals.required(s.workspaceId))
        return reply.status(202).send({
          approvalRequired: true,
          request: await approvals.request(s.workspaceId, s.actor, definition, note),
        })
      const { grid, changes } = await publishing.publish(s.workspaceId, s.actor, definition, note)
      return reply.status(201).send({ grid: gridView(grid), changes })
    })

    api.get('/progress', async (request) => publishing.progress(sessionOf(request).workspaceId))
  }
}
