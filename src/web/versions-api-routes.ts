/**
 * The Versions & audit tab's JSON: the two-person rule's switch and its publish requests (approve,
 * reject), rolling back to an earlier version, and the workspace's audit log.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { listAudit } from '../db/audit-repository.js'
import { BadRequest } from '../errors.js'
import { gridView } from '../grids/grid-service.js'
import { requireAdmin, sessionOf } from '../sessions/app-session.js'

const settingsBody = z.object({ publishApproval: z.boolean() }).strict()

export function versionsApiRoutes(deps: Pick<AppDeps, 'db' | 'publishing' | 'approvals'>) {
  const { db, publishing, approvals } = deps
  return async function register(api: FastifyInstance) {
    api.put('/settings', async (request) => {
      const s = requireAdmin(request)
      const parsed = settingsBody.safeParse(request.body)
      if (!parsed.success) throw new BadRequest('The body must be {"publishApproval": true|false}')
      return { settings: await approvals.setRequired(s.workspaceId, s.actor, parsed.data.publishApproval) }
    })

    api.get('/publish-requests', async (request) => ({
      requests: await approvals.list(sessionOf(request).workspaceId),
    }))

    api.post<{ Params: { id: string } }>('/publish-requests/:id/approve', async (request, reply) => {
      const s = requireAdmin(request)
      const { grid, changes } = await approvals.approve(s.workspaceId, s.actor, request.params.id)
      return reply.status(201).send({ grid: gridView(grid), changes })
    })

    api.post<{ Params: { id: string } }>('/publish-requests/:id/reject', async (request) => {
      const s = requireAdmin(request)
      return { request: await approvals.reject(s.workspaceId, s.actor, request.params.id) }
    })

    api.post<{ Params: { id: string } }>('/grids/:id/rollback', async (request, reply) => {
      const s = requireAdmin(request)
      const { grid, changes } = await publishing.rollBack(s.workspaceId, s.actor, request.params.id)
      return reply.status(201).send({ grid: gridView(grid), changes })
    })

    api.get('/audit', async (request) => ({
      entries: (await listAudit(db, sessionOf(request).workspaceId)).map((e) => ({
        ...e,
        at: e.at.toISOString(),
      })),
    }))
  }
}
