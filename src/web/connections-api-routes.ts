/**
 * The Connections tab's JSON: each CRM connection's health (tokens, provisioning, backfill, last
 * webhook, writes waiting or parked), the tracking snippet with its last hit, parked writes sent
 * back to the queue, disconnecting, and the install links that attach another CRM account to this
 * workspace.
 */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { lastTrackingHit, listConnectionHealth } from '../db/connection-health-repository.js'
import { findWorkspace } from '../db/workspace-repository.js'
import { NotConfigured, NotFound } from '../errors.js'
import { isUuid } from '../http/request-values.js'
import { requireAdmin, sessionOf } from '../sessions/app-session.js'
import { TRACKING_SOURCE } from '../tracking/tracking-service.js'

type ConnectionsDeps = Pick<AppDeps, 'db' | 'config' | 'crm'>

export function connectionsApiRoutes(deps: ConnectionsDeps) {
  const { db } = deps
  return async function register(api: FastifyInstance) {
    api.get('/connections', async (request) => {
      const { workspaceId } = sessionOf(request)
      const ws = await findWorkspace(db, workspaceId)
      if (!ws) throw new NotFound('This workspace no longer exists')
      const lastHit = await lastTrackingHit(db, workspaceId, TRACKING_SOURCE)
      return {
        connections: (await listConnectionHealth(db, workspaceId)).map((c) => ({
          id: c.id,
          provider: c.provider,
          accountId: c.account_id,
          status: c.status,
          tokenExpiresAt: c.token_expires_at?.toISOString() ?? null,
          provisioning: c.provisioning,
          backfill: c.backfill,
          lastWebhookAt: c.last_webhook_at?.toISOString() ?? null,
          lastError: c.last_error,
          lastErrorAt: c.last_error_at?.toISOString() ?? null,
          pendingWrites: c.pendingWrites,
          parkedWrites: c.parkedWrites,
        })),
        tracking: {
          publicKey: ws.publicKey,
          snippet: `<script async src="${deps.config.PUBLIC_URL}/t.js" data-key="${ws.publicKey}"></script>`,
          lastHitAt: lastHit?.toISOString() ?? null,
        },
      }
    })

    // Parked write-backs (values the CRM kept refusing) go back to the queue, and a flush is queued.
    api.post<{ Params: { id: string } }>('/connections/:id/retry-parked', async (request) => {
      const s = requireAdmin(request)
      const id = request.params.id
      // The same service as `POST /api/v1/connections/:id/retry-parked` (one audit entry, one flush).
      if (!isUuid(id)) throw new NotFound(`No connection ${id} in this workspace`)
      return { retried: await deps.crm.connections.retryParked(s.workspaceId, id, s.actor) }
    })

    // Disconnect from the Connections tab: the same service as `DELETE /api/v1/connections/:id` — the
    // CRM's own uninstall first (Pipedrive: Leadgrid's webhooks removed and every authorized user's
    // refresh token revoked), then the connection marked, audited under this admin's name.
    api.post<{ Params: { id: string } }>('/connections/:id/disconnect', async (request) => {
      const s = requireAdmin(request)
      const id = request.params.id
      if (!isUuid(id)) throw new NotFound(`No connection ${id} in this workspace`)
      await deps.crm.connections.disconnect(s.workspaceId, id, s.actor)
      return { disconnected: true }
    })

    installLinkRoutes(api, deps)
  }
}

/**
 * "Connect another CRM": admins only; each provider's link (its module's) carries a signed,
 * expiring ticket. A provider the registry does not know is a 404, like any unknown route.
 */
function installLinkRoutes(api: FastifyInstance, deps: ConnectionsDeps): void {
  api.post<{ Params: { provider: string } }>(
    '/connections/:provider/install-link',
    async (request, reply) => {
      const { provider } = request.params
      if (!deps.crm.providers.has(provider)) return reply.callNotFound()
      const s = requireAdmin(request)
      const tab = deps.crm.partsOf(provider).connectionsTab
      if (!tab.configured()) throw new NotConfigured(tab.notConfigured.message, tab.notConfigured.code)
      return { url: tab.installLink(s.workspaceId, reply) }
    },
  )
}
