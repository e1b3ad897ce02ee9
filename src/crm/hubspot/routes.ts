/**
 * HubSpot's HTTP surface. Thin: verify, validate, one service call, answer.
 *  GET  /oauth/hubspot/install, GET /oauth/hubspot/callback   (routes-oauth.ts)
 *  POST /webhooks/hubspot             (X-HubSpot-Signature-v3; stored durably before the 200; below)
 *  POST /hubspot/card, POST /hubspot/app-link                 (routes-card.ts)
 *  POST /hubspot/workflow-action                              (routes-workflow.ts)
 * The /api/v1/connections routes are every provider's: src/routes/connection-routes.ts.
 */
import type { FastifyInstance } from 'fastify'
import { BadRequest } from '../../errors.js'
import { type HubSpotCardRouteDeps, hubspotCardRoutes } from './routes-card.js'
import { type HubSpotOAuthRouteDeps, hubspotOAuthRoutes } from './routes-oauth.js'
import { type HubSpotWorkflowRouteDeps, hubspotWorkflowRoutes } from './routes-workflow.js'
import { requireHubSpotSignature } from './signature.js'
import { type HubSpotWebhookService, parseWebhookBatch } from './webhooks.js'

/** What HubSpot's routes take (AppDeps provides all of it). */
export type HubSpotRouteDeps = HubSpotOAuthRouteDeps &
  HubSpotCardRouteDeps &
  HubSpotWorkflowRouteDeps & { crm: { hubspot: { webhooks: Pick<HubSpotWebhookService, 'receive'> } } }

export function hubspotRoutes(deps: HubSpotRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    await app.register(hubspotOAuthRoutes(deps))
    await app.register(hubspotCardRoutes(deps))
    await app.register(hubspotWorkflowRoutes(deps))

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
      const result = await deps.crm.hubspot.webhooks.receive(parsed.events)
      request.log.info({ ...result, events: parsed.events.length }, 'HubSpot webhook batch stored')
      return reply.status(200).send(result)
    })
  }
}
