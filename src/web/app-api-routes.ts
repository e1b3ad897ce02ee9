/**
 * /app/api/… — the JSON the settings page and contact view read and write. Authenticated by the
 * session cookie (never an API key); every query takes the session's one workspace id; writes need
 * a CSRF token and, for grids, the admin role.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { ATTACH_COOKIE, INSTALL_PATH } from '../crm/hubspot/routes-oauth.js'
import { STATE_TTL_MS } from '../crm/hubspot/oauth.js'
import { listAudit } from '../db/audit-repository.js'
import { lastTrackingHit, listConnectionHealth } from '../db/connection-health-repository.js'
import { contactTimeline, getContact, searchContacts } from '../db/contact-view-repository.js'
import { loadScores, scoreHistory, scoreSummary } from '../db/score-repository.js'
import { EMAIL_CATEGORIES, EVENT_TYPES } from '../domain/lead-event.js'
import { BadRequest, NotConfigured, NotFound } from '../errors.js'
import type { GridPreviewService } from '../grids/grid-preview-service.js'
import type { GridPublishingService } from '../grids/grid-publishing-service.js'
import { type GridService, gridView } from '../grids/grid-service.js'
import type { PublishApprovalService } from '../grids/publish-approval-service.js'
import { CONDITION_OP_VALUES, parseGrid } from '../scoring/index.js'
import { guardAppApi, requireAdmin, sessionOf } from '../sessions/app-session.js'
import { TRACKING_SOURCE } from '../tracking/tracking-service.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const definitionBody = z.object({ definition: z.unknown(), note: z.string().max(1000).optional() })

function body<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new BadRequest('The body must be {"definition": {grid}, "note"?: "…"}')
  return parsed.data
}

/** Validates like the API does; issues carry their dotted path so the page shows them beside fields. */
function validated(definition: unknown) {
  const parsed = parseGrid(definition)
  if (!parsed.ok) {
    throw new BadRequest(
      `The grid is not valid: ${parsed.issues
        .slice(0, 3)
        .map((d) => `${d.path || 'grid'}: ${d.message}`)
        .join('; ')}`,
      parsed.issues,
      'invalid_grid',
    )
  }
  return parsed.grid
}

export function appApiRoutes(
  deps: Pick<AppDeps, 'db' | 'config' | 'clock' | 'queue' | 'crm'>,
  services: {
    grids: GridService
    publishing: GridPublishingService
    preview: GridPreviewService
    approvals: PublishApprovalService
    /** A signed, expiring ticket naming the workspace, for the HubSpot install (routes-oauth.ts). */
    hubspotAttachTicket: (workspaceId: string) => string
  },
) {
  const { db } = deps
  const { grids, publishing, preview, approvals } = services
  const https = deps.config.PUBLIC_URL.startsWith('https:')
  return async function register(api: FastifyInstance) {
    guardAppApi(api)

    api.get('/session', async (request, reply) => {
      const s = sessionOf(request)
      const ws = await db
        .selectFrom('workspaces')
        .select(['id', 'name', 'public_key'])
        .where('id', '=', s.workspaceId)
        .executeTakeFirst()
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

    // Grids -------------------------------------------------------------------------------------
    api.get('/grids', async (request) => {
      const rows = await grids.list(sessionOf(request).workspaceId)
      return { grids: rows.map(({ definition: _d, ...row }) => gridView({ ...row, definition: null })) }
    })

    api.get<{ Params: { id: string } }>('/grids/:id', async (request) =>
      gridView(await grids.get(sessionOf(request).workspaceId, request.params.id)),
    )

    api.post('/grids/validate', async (request) => {
      sessionOf(request)
      const parsed = parseGrid(body(definitionBody, request.body).definition)
      return parsed.ok ? { ok: true, issues: [] } : { ok: false, issues: parsed.issues }
    })

    api.post('/grids/preview', async (request) => {
      const s = sessionOf(request)
      return preview.preview(s.workspaceId, validated(body(definitionBody, request.body).definition))
    })

    api.post('/grids/publish', async (request, reply) => {
      const s = requireAdmin(request)
      const { definition, note } = body(definitionBody, request.body)
      validated(definition)
      // Two-person rule: the publish waits for another admin (202 Accepted, nothing published yet).
      if (await approvals.required(s.workspaceId))
        return reply.status(202).send({
          approvalRequired: true,
          request: await approvals.request(s.workspaceId, s.actor, definition, note),
        })
      const { grid, changes } = await publishing.publish(s.workspaceId, s.actor, definition, note)
      return reply.status(201).send({ grid: gridView(grid), changes })
    })

    // Two-person rule -----------------------------------------------------------------------------
    api.put('/settings', async (request) => {
      const s = requireAdmin(request)
      const parsed = z.object({ publishApproval: z.boolean() }).strict().safeParse(request.body)
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

    api.get('/progress', async (request) => publishing.progress(sessionOf(request).workspaceId))

    api.get('/audit', async (request) => ({
      entries: (await listAudit(db, sessionOf(request).workspaceId)).map((e) => ({
        ...e,
        at: e.at.toISOString(),
      })),
    }))

    // Contacts ----------------------------------------------------------------------------------
    api.get<{ Querystring: { q?: string } }>('/contacts', async (request) => {
      const q = typeof request.query.q === 'string' ? request.query.q.slice(0, 200) : ''
      return { contacts: await searchContacts(db, sessionOf(request).workspaceId, q) }
    })

    api.get<{ Params: { id: string } }>('/contacts/:id', async (request) => {
      const { workspaceId } = sessionOf(request)
      const id = request.params.id
      const contact = UUID.test(id) ? await getContact(db, workspaceId, id) : undefined
      if (!contact) throw new NotFound(`No contact ${id} in this workspace`)
      const [score] = [...(await loadScores(db, workspaceId, [id])).values()]
      const [history, events] = await Promise.all([
        scoreHistory(db, workspaceId, id, 200),
        contactTimeline(db, workspaceId, id),
      ])
      return {
        contact: {
          id: contact.id,
          email: contact.email,
          name: contact.name,
          properties: contact.properties,
          firstSeenAt: contact.first_seen_at.toISOString(),
        },
        score: score ? { ...scoreSummary(score), contributions: score.contributions } : null,
        history: history
          .map((h) => ({
            score: h.total,
            band: h.band,
            mql: h.mql,
            cause: h.cause,
            at: h.computed_at.toISOString(),
          }))
          .reverse(),
        events: events.map((e) => ({
          type: e.type,
          at: e.occurred_at.toISOString(),
          attributes: e.attributes,
          source: e.source,
        })),
      }
    })

    // Connections and tracking ------------------------------------------------------------------
    api.get('/connections', async (request) => {
      const { workspaceId } = sessionOf(request)
      const ws = await db
        .selectFrom('workspaces')
        .select('public_key')
        .where('id', '=', workspaceId)
        .executeTakeFirstOrThrow()
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
          publicKey: ws.public_key,
          snippet: `<script async src="${deps.config.PUBLIC_URL}/t.js" data-key="${ws.public_key}"></script>`,
          lastHitAt: lastHit?.toISOString() ?? null,
        },
      }
    })

    // Parked write-backs (values the CRM kept refusing) go back to the queue, and a flush is queued.
    api.post<{ Params: { id: string } }>('/connections/:id/retry-parked', async (request) => {
      const s = requireAdmin(request)
      const id = request.params.id
      // The same service as `POST /api/v1/connections/:id/retry-parked` (one audit entry, one flush).
      if (!UUID.test(id)) throw new NotFound(`No connection ${id} in this workspace`)
      return { retried: await deps.crm.connections.retryParked(s.workspaceId, id, s.actor) }
    })

    // "Connect another CRM": the install link that attaches a new HubSpot portal to this workspace.
    // Admins only, and bound to this browser by a cookie the install route checks (see there).
    api.post('/connections/hubspot/install-link', async (request, reply) => {
      const s = requireAdmin(request)
      if (!deps.config.HUBSPOT_CLIENT_ID || !deps.config.HUBSPOT_CLIENT_SECRET)
        throw new NotConfigured(
          'HubSpot is not configured on this server: set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET and restart',
          'hubspot_not_configured',
        )
      const ticket = services.hubspotAttachTicket(s.workspaceId)
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
}
