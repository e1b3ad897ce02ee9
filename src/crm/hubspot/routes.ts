/**
 * HubSpot's HTTP surface. Thin: verify, validate, one service call, answer.
 *  GET  /oauth/hubspot/install, GET /oauth/hubspot/callback   (routes-oauth.ts)
 *  POST /webhooks/hubspot             (X-HubSpot-Signature-v3; stored durably before the 200)
 *  POST /hubspot/card                 (v3; answers from Leadgrid's database)
 *  POST /hubspot/app-link             (v3; a one-time sign-in link to the settings page, for the
 *                                      app's settings component and the card)
 * Card and app link trust only the portal HubSpot signs into the URL (fetch-identity.ts).
 *  POST /hubspot/workflow-action      ("Record engagement in Leadgrid"; v3, else v2 as documented for actions)
The /api/v1/connections routes are every provider's: src/routes/connection-routes.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { BadRequest, Unauthorized } from '../../errors.js'
import { eventInputSchema } from '../../events/ingestion-schemas.js'
import { createLoginLink } from '../../sessions/login-links.js'
import type { CrmModuleDeps } from '../provider-module.js'
import type { createHubSpotCardService } from './card.js'
import { requireSignedPortal, signedFetchIdentity } from './fetch-identity.js'
import type { HubSpotInstallService } from './install.js'
import type { HubSpotOAuth } from './oauth.js'
import { hubspotOAuthRoutes } from './routes-oauth.js'
import { publicRequestUri, verifyV2Signature, verifyV3Signature } from './signature.js'
import { type HubSpotWebhookService, parseWebhookBatch } from './webhooks.js'

/** HubSpot's own services its routes use. */
export interface HubSpotRouteServices {
  oauth: HubSpotOAuth
  install: HubSpotInstallService
  card: ReturnType<typeof createHubSpotCardService>
  webhooks: HubSpotWebhookService
}

type Deps = Pick<CrmModuleDeps, 'config' | 'db' | 'clock' | 'logger' | 'ingestion' | 'sessionSecret'> & {
  crm: { hubspot: HubSpotRouteServices }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * Throws 401 unless HubSpot signed this request (v3, or v2 where `allowV2`).
 *
 * Signature failures are deliberately NOT limited per address (unlike API and tracking keys,
 * src/http/auth-failure-limiter.ts): every portal's webhooks, cards and workflow actions come from
 * HubSpot's shared addresses, so one bad sender there — or a secret mid-rotation — would block every
 * customer's deliveries. Nothing is guessable either: the signature is an HMAC-SHA256 under the
 * client secret over the timestamped request, refused when stale, so failures teach nothing.
 */
function requireHubSpotSignature(deps: Deps, request: FastifyRequest, allowV2 = false): void {
  const secret = deps.config.HUBSPOT_CLIENT_SECRET
  if (!secret) throw new Unauthorized('HubSpot is not configured on this server', 'hubspot_not_configured')
  const uri = publicRequestUri(deps.config.PUBLIC_URL, request.url)
  const rawBody = request.rawBody ?? ''
  const v3 = headerValue(request, 'x-hubspot-signature-v3')
  if (v3 || !allowV2) {
    const result = verifyV3Signature({
      clientSecret: secret,
      method: request.method,
      uri,
      rawBody,
      signature: v3,
      timestamp: headerValue(request, 'x-hubspot-request-timestamp'),
      nowMs: deps.clock.now().getTime(),
    })
    if (!result.ok) {
      // The path only: HubSpot puts the user's email address in the query of hubspot.fetch requests.
      request.log.warn(
        { reason: result.reason, path: request.url.split('?')[0] },
        'HubSpot signature rejected',
      )
      throw new Unauthorized('The HubSpot signature is missing, stale or wrong', 'invalid_signature')
    }
    return
  }
  const ok = verifyV2Signature({
    clientSecret: secret,
    method: request.method,
    uri,
    rawBody,
    signature: headerValue(request, 'x-hubspot-signature'),
  })
  if (!ok) throw new Unauthorized('The HubSpot signature is missing or wrong', 'invalid_signature')
}

const hubspotId = z.union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)]).transform(String)

// The portal is HubSpot's, from the signed URL (fetch-identity.ts); one in the body (written by
// extensions deployed earlier) is only checked against it.
const cardBody = z.object({
  portalId: hubspotId.optional(),
  objectId: hubspotId,
  objectTypeId: z.string().max(20).optional(),
})

// The user is HubSpot's too (`userId` in the signed URL); a `userId` in the body is ignored.
const appLinkBody = z.object({ portalId: hubspotId.optional() })

/**
 * Short: the component fetches the link when it renders and the user clicks it right away; a
 * reload of the settings page fetches a fresh one.
 */
export const HUBSPOT_APP_LINK_TTL_MS = 5 * 60_000

const WORKFLOW_EVENT_TYPES = [
  'webinar.registered',
  'webinar.attended',
  'meeting.booked',
  'meeting.held',
  'asset.downloaded',
  'custom',
] as const

const workflowBody = z.looseObject({
  callbackId: z.string().min(1).max(200),
  origin: z.looseObject({ portalId: z.union([z.number(), z.string()]).transform(String) }),
  // HubSpot record ids are positive integers.
  object: z.looseObject({
    objectId: z.union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)]).transform(String),
  }),
  inputFields: z.looseObject({
    eventType: z.enum(WORKFLOW_EVENT_TYPES),
    name: z.string().max(256).optional().nullable(),
    reference: z.string().max(256).optional().nullable(),
  }),
})

function workflowAttributes(
  type: (typeof WORKFLOW_EVENT_TYPES)[number],
  name?: string | null,
  reference?: string | null,
) {
  const a: Record<string, string> = {}
  if (type.startsWith('webinar.')) {
    if (reference) a['eventId'] = reference
    if (name) a['eventName'] = name
  } else if (type.startsWith('meeting.')) {
    if (reference) a['meetingId'] = reference
  } else if (type === 'asset.downloaded') {
    if (reference) a['assetId'] = reference
    if (name) a['assetName'] = name
  } else {
    a['name'] = name || 'HubSpot workflow'
    if (reference) a['reference'] = reference
  }
  return a
}

export function hubspotRoutes(deps: Deps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const hs = deps.crm.hubspot

    await app.register(hubspotOAuthRoutes(deps))

    // HubSpot adds fields over time: a field nested past the depth limit is pruned, not refused,
    // since a 400 would make HubSpot retry (and lose) the whole batch for a day. The signature is
    // checked on the raw bytes, so pruning changes nothing there; Leadgrid reads none of those fields.
    app.post('/webhooks/hubspot', { config: { jsonBody: { overDeep: 'prune' } } }, async (request, reply) => {
      requireHubSpotSignature(deps, request)
      const parsed = parseWebhookBatch(request.body)
      if (!parsed.ok) throw new BadRequest('Not a HubSpot webhook batch', parsed.issues, 'invalid_webhook')
      if (request.prunedJsonSubtrees)
        request.log.warn(
          { pruned: request.prunedJsonSubtrees },
          'HubSpot webhook batch nested too deep; the over-deep fields were dropped',
        )
      const result = await hs.webhooks.receive(parsed.events)
      request.log.info({ ...result, events: parsed.events.length }, 'HubSpot webhook batch stored')
      return reply.status(200).send(result)
    })

    app.post('/hubspot/card', async (request) => {
      requireHubSpotSignature(deps, request)
      const who = signedFetchIdentity(request.url)
      const body = cardBody.parse(request.body)
      requireSignedPortal(who, body.portalId)
      return hs.card.cardFor(who.portalId, body.objectId)
    })

    // Sign-in from HubSpot: only HubSpot can sign this request, and the portal it signs into the URL
    // is the one the user is in, so the link grants that portal's workspace. Admin: HubSpot shows app
    // settings only to users allowed to manage apps. The button opens a new tab (a top-level
    // visit), so the link is not a framed one and the session cookie stays SameSite=Lax.
    // "Not installed" is a 200 with `installed: false`: HubSpot's proxy may hand the component its
    // own error instead of an error answer of ours, so nothing the component needs rides on one.
    app.post('/hubspot/app-link', async (request) => {
      requireHubSpotSignature(deps, request)
      const who = signedFetchIdentity(request.url)
      const body = appLinkBody.parse(request.body ?? {})
      requireSignedPortal(who, body.portalId)
      const connection = await hs.install.byPortal(who.portalId)
      if (connection?.status !== 'active') return { installed: false }
      const url = await createLoginLink(deps, {
        workspaceId: connection.workspace_id,
        role: 'admin',
        actor: who.userId ? `HubSpot user ${who.userId}` : `HubSpot portal ${who.portalId}`,
        ttlMs: HUBSPOT_APP_LINK_TTL_MS,
      })
      request.log.info({ workspaceId: connection.workspace_id }, 'HubSpot sign-in link handed out')
      return { installed: true, url, expiresInSeconds: HUBSPOT_APP_LINK_TTL_MS / 1000 }
    })

    app.post('/hubspot/workflow-action', async (request) => {
      requireHubSpotSignature(deps, request, true)
      const body = workflowBody.parse(request.body)
      const connection = await hs.install.byPortal(body.origin.portalId)
      if (connection?.status !== 'active')
        throw new Unauthorized('Leadgrid is not installed in this HubSpot account', 'not_installed')
      const { eventType, name, reference } = body.inputFields
      // Through the same validation as every API event, so the action stores nothing the API would refuse.
      const event = eventInputSchema.safeParse({
        // One workflow execution = one fact, whatever HubSpot's retries.
        id: `hubspot:${connection.account_id}:workflow:${body.callbackId}`,
        contact: { hubspotId: body.object.objectId },
        type: eventType,
        occurredAt: deps.clock.now().toISOString(),
        attributes: workflowAttributes(eventType, name, reference),
      })
      if (!event.success) {
        throw new BadRequest(
          `The workflow action's fields are not valid: ${event.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          undefined,
          'invalid_action',
        )
      }
      await deps.ingestion.ingestEvents(connection.workspace_id, [event.data], 'hubspot-workflow')
      return { outputFields: { hs_execution_state: 'SUCCESS' } }
    })
  }
}
