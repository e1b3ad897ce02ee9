/**
 * POST /webhooks/pipedrive/:connectionId — webhooks v2 deliveries, per-connection Basic credentials
 * (constant time), stored durably (deduplicated on meta.id) before the 200.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { SecretBox } from '../../crypto/secret-box.js'
import { findConnectionById } from '../../db/connection-repository.js'
import type { Db } from '../../db/database.js'
import { BadRequest, Unauthorized } from '../../errors.js'
import type { DeliveryService } from '../delivery-service.js'
import {
  parsePipedriveWebhook,
  pipedriveDedupeKey,
  webhookAuthorized,
  webhookCredentials,
} from './webhooks.js'

export interface PipedriveWebhookRouteDeps {
  db: Db
  secretBox: SecretBox
  crm: { deliveries: Pick<DeliveryService, 'receive'> }
}

const uuid = z.uuid()

export async function registerPipedriveWebhookRoute(
  app: FastifyInstance,
  deps: PipedriveWebhookRouteDeps,
): Promise<void> {
  app.post('/webhooks/pipedrive/:connectionId', async (request, reply) => {
    const { connectionId } = request.params as { connectionId: string }
    const connection = uuid.safeParse(connectionId).success
      ? await findConnectionById(deps.db, 'pipedrive', connectionId)
      : undefined
    // Unknown or uninstalled: acknowledged and dropped (a refusal only makes Pipedrive retry).
    if (connection?.status !== 'active') {
      request.log.info(
        { connectionId, known: !!connection },
        'Pipedrive webhook for no active connection; dropped',
      )
      return reply.status(200).send({ stored: 0, duplicates: 0, dropped: true })
    }
    const expected = webhookCredentials(connection, deps.secretBox)
    if (!webhookAuthorized(expected, request.headers.authorization))
      throw new Unauthorized('Missing or wrong webhook credentials', 'unauthorized')
    const parsed = parsePipedriveWebhook(request.body)
    if (!parsed.ok) throw new BadRequest('Not a Pipedrive webhook (v2)', parsed.issues, 'invalid_webhook')
    if (parsed.delivery.meta.company_id !== connection.account_id) {
      throw new BadRequest(
        'This webhook names another Pipedrive company than its connection',
        undefined,
        'wrong_company',
      )
    }
    const result = await deps.crm.deliveries.receive(connection, [
      { key: pipedriveDedupeKey(parsed.delivery), payload: parsed.delivery },
    ])
    return reply.status(200).send(result)
  })
}
