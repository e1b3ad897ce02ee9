/**
 * One Pipedrive connection's session (`CrmProvider.open`), composed of its concerns: provisioning
 * (provisioning.ts), webhook subscriptions (session-webhooks.ts), reading persons (records.ts) and
 * deliveries (records-deliveries.ts), and writing the score fields back, here.
 *
 * Writes are one PATCH per person (Pipedrive has no batch update) with only the given custom_fields;
 * a deleted person is a refused item. Batches are of one, so a spent daily budget stops the flush
 * exactly where it was and everything already written is recorded.
 */
import type { Clock } from '../../clock.js'
import type { SecretBox } from '../../crypto/secret-box.js'
import type { CrmConnection, CrmSession, CrmWriteItem, CrmWriteResult } from '../types.js'
import { createPipedriveClient } from './client.js'
import type { PersonsCalls } from './client-persons.js'
import { PipedriveApiError } from './errors.js'
import { fieldMapOf, ownFieldCodes, provisionPipedriveFields } from './provisioning.js'
import type { PipedriveRateLimits } from './rate-limits.js'
import { personReads } from './records.js'
import { interpretDeliveries } from './records-deliveries.js'
import { webhookSubscriptions } from './session-webhooks.js'

export interface PipedriveSessionDeps {
  limits: PipedriveRateLimits
  secretBox: SecretBox
  clock: Clock
  publicUrl: string
}

export function openPipedriveSession(
  deps: PipedriveSessionDeps,
  connection: CrmConnection,
  accessToken: () => Promise<string>,
): CrmSession {
  if (!connection.api_base) {
    throw new PipedriveApiError(
      'This Pipedrive connection has no API domain stored; reinstall the app',
      undefined,
      false,
      undefined,
    )
  }
  const companyId = connection.account_id
  const client = createPipedriveClient({
    companyId,
    apiDomain: connection.api_base,
    accessToken,
    limits: deps.limits,
  })
  const webhooks = webhookSubscriptions({
    client,
    connection,
    secretBox: deps.secretBox,
    publicUrl: deps.publicUrl,
  })

  return {
    provision: () => provisionPipedriveFields(client),
    subscribe: webhooks.subscribe,
    ensureSubscriptions: webhooks.ensureSubscriptions,
    ...personReads(client, connection),
    writeBatch: (items) => writePersons(client, items),
    interpretDeliveries: (payloads) =>
      interpretDeliveries(
        { client, companyId, own: ownFieldCodes(fieldMapOf(connection)), clock: deps.clock },
        payloads,
      ),

    async uninstall() {
      // Leadgrid's own disconnect removes the webhooks it registered, so Pipedrive stops sending;
      // the connection service then revokes every user's refresh token (`revokeRefreshToken`),
      // which is what marks the app uninstalled on Pipedrive's side.
      try {
        await webhooks.removeOurs()
      } catch (err) {
        // A spent daily budget must not keep a customer connected: deliveries to an uninstalled
        // connection are dropped anyway, and the webhooks go when the user uninstalls in Pipedrive.
        if (!(err instanceof PipedriveApiError && err.dailyBudgetSpent)) throw err
      }
    },
  }
}

async function writePersons(
  client: Pick<PersonsCalls, 'updatePersonFields'>,
  items: CrmWriteItem[],
): Promise<CrmWriteResult> {
  const written: CrmWriteItem[] = []
  const refused: CrmWriteResult['refused'] = []
  for (const item of items) {
    const id = Number(item.crmId)
    if (!Number.isSafeInteger(id) || id <= 0) {
      refused.push({ items: [item], message: `not a Pipedrive person id: ${item.crmId}` })
      continue
    }
    const found = await client.updatePersonFields(id, item.properties)
    if (found) written.push(item)
    else refused.push({ items: [item], message: `Pipedrive person ${id} no longer exists` })
  }
  return { written, refused }
}
