/**
 * /app/api/session and /app/api/logout: who is signed in, to which workspace, with what role, the
 * CSRF token every write sends back, and the grid vocabulary the editor offers.
 */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { findWorkspace } from '../db/workspace-repository.js'
import { EMAIL_CATEGORIES, EVENT_TYPES } from '../domain/lead-event.js'
import { NotFound } from '../errors.js'
import { CONDITION_OP_VALUES } from '../scoring/index.js'
import { sessionOf } from '../sessions/app-session.js'

export function sessionApiRoutes(deps: Pick<AppDeps, 'db' | 'approvals'>) {
  const { db, approvals } = deps
  return async function register(api: FastifyInstance) {
    api.get('/session', async (request, reply) => {
      const s = sessionOf(request)
      const ws = await findWorkspace(db, s.workspaceId)
      if (!ws) throw new NotFound('This workspace no longer exists')
      return {
        workspace: { id: ws.id, name: ws.name },
        role: s.role,
        actor: s.actor,
        csrfToken: reply.generateCsrf(),
        settings: { publishApproval: await approvals.required(s.workspaceId) },
        // The grid vocabulary the editor offers, from the same constants the schema validates with.
        vocabulary: {
          eventTypes: EVENT_TYPES,
          emailCategories: EMAIL_CATEGORIES,
          conditionOps: CONDITION_OP_VALUES,
        },
      }
    })

    api.post('/logout', async (request) => {
      request.session.delete()
      return { signedOut: true }
    })
  }
}
