/**
 * POST /hubspot/workflow-action: HubSpot's "Record engagement in Leadgrid" workflow action (v3-signed,
 * else v2 as documented for actions). One execution is one lead event, through the same validation
 * and ingestion as the API's.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Clock } from '../../clock.js'
import { BadRequest, Unauthorized } from '../../errors.js'
import { eventInputSchema } from '../../events/ingestion-schemas.js'
import type { IngestionService } from '../../events/ingestion-service.js'
import type { HubSpotInstallService } from './install.js'
import { requireHubSpotSignature, type SignatureCheckDeps } from './signature.js'

export type HubSpotWorkflowRouteDeps = SignatureCheckDeps & {
  clock: Pick<Clock, 'now'>
  ingestion: Pick<IngestionService, 'ingestEvents'>
  crm: { hubspot: { install: Pick<HubSpotInstallService, 'byPortal'> } }
}

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

export function hubspotWorkflowRoutes(deps: HubSpotWorkflowRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    app.post('/hubspot/workflow-action', async (request) => {
      requireHubSpotSignature(deps, request, true)
      const body = workflowBody.parse(request.body)
      const connection = await deps.crm.hubspot.install.byPortal(body.origin.portalId)
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
