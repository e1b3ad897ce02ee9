/**
 * The Connections tab's JSON: each CRM connection's health (tokens, provisioning, backfill, last
 * webhook, writes waiting or parked), the tracking snippet with its last hit, parked writes sent
 * back to the queue, disconnecting, and the install links that attach another CRM account to this
 * workspace.
 */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { STATE_TTL_MS } from '../crm/hubspot/oauth.js'
import { ATTACH_COOKIE, INSTALL_PATH } from '../crm/hubspot/routes-oauth.js'
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

/** "Connect another CRM": admins only; each provider's link carries a signed, expiring ticket. */
function installLinkRoutes(api: FastifyInstance, deps: ConnectionsDeps): void {
  const https = deps.config.PUBLIC_URL.startsWith('https:')

  // The link that attaches a new HubSpot portal to this workspace, bound to this browser by a
  // cookie the install route checks (see there).
  api.post('/connections/hubspot/install-link', async (request, reply) => {
    const s = requireAdmin(request)
    if (!deps.config.HUBSPOT_CLIENT_ID || !deps.config.HUBSPOT_CLIENT_SECRET)
      throw new NotConfigured(
        'HubSpot is not configured on this server: set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET and restart',
        'hubspot_not_configured',
      )
    const ticket = deps.crm.hubspot.oauth.createState({ workspaceId: s.workspaceId })
    reply.setCookie(ATTACH_COOKIE, ticket, {
      path: INSTALL_PATH,
      httpOnly: true,
      sameSite: 'lax',
      secure: https,
      maxAge: STATE_TTL_MS / 1000,
    })
    return { url: `${INSTALL_PATH}?attach=${encodeURIComponent(ticket)}` }
  })

  // Pipedrive attaches to this workspace through a signed, 10-minute attach token in the link
  // (Pipedrive's own installs arrive without one and make or reuse their company's workspace).
  api.post('/connections/pipedrive/install-link', async (request) => {
    const s = requireAdmin(request)
    if (!deps.crm.pipedrive.oauth.configured())
      throw new NotConfigured(
        'Pipedrive is not configured on this server: set PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET and restart',
        'pipedrive_not_configured',
      )
    const token = deps.crm.pipedrive.install.attachToken(s.workspaceId)
    return { url: `/oauth/pipedrive/install?attach=${encodeURIComponent(token)}` }
  })
}
