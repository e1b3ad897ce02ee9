/**
 * The bridge from scoring to the CRMs. Inside the rescore transaction: for each active connection
 * that knows the contact, compute the provider's property values, keep only what differs from what
 * the CRM already holds (as far as Leadgrid wrote it), and upsert the outbox row — newest values
 * win. The flush job (per connection, debounced) sends it. Routes and the engine never call a CRM.
 */
import { sql, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { CrmPropertyValues, CrmProviderName, CrmScoreValues, CrmWriteBackMapping } from './types.js'

export interface ScoreChange {
  contactId: string
  values: CrmScoreValues
}

/** Only what differs from what the CRM holds; null when nothing but volatile properties changed. */
export function changedProperties(
  next: CrmPropertyValues,
  held: CrmPropertyValues | undefined,
  volatile: string[],
): CrmPropertyValues | null {
  const diff: CrmPropertyValues = {}
  let meaningful = false
  for (const [key, value] of Object.entries(next)) {
    if (held && key in held && held[key] === value) continue
    diff[key] = value
    if (!volatile.includes(key)) meaningful = true
  }
  return meaningful ? diff : null
}

/** Returns the connections that now have pending rows (to schedule their flush). */
export async function enqueueWriteBack(
  trx: Transaction<Database>,
  workspaceId: string,
  changes: ScoreChange[],
  mappings: Partial<Record<CrmProviderName, CrmWriteBackMapping>>,
): Promise<string[]> {
  if (changes.length === 0) return []
  const connections = await trx
    .selectFrom('connections')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .execute()
  const touched: string[] = []
  for (const connection of connections) {
    const mapping = mappings[connection.provider]
    if (!mapping) continue
    const contactIds = changes.map((c) => c.contactId)
    const crmIds = await trx
      .selectFrom('contact_identities')
      .select(['contact_id', 'value'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', connection.provider)
      .where('contact_id', 'in', contactIds)
      .execute()
    if (crmIds.length === 0) continue
    const crmIdOf = new Map(crmIds.map((r) => [r.contact_id, r.value]))
    const heldRows = await trx
      .selectFrom('crm_written_values')
      .select(['contact_id', 'properties'])
      .where('workspace_id', '=', workspaceId)
      .where('connection_id', '=', connection.id)
      .where('contact_id', 'in', [...crmIdOf.keys()])
      .execute()
    const held = new Map(heldRows.map((r) => [r.contact_id, r.properties]))
    const volatile = mapping.volatileProperties(connection)
    const rows = []
    for (const change of changes) {
      const crmId = crmIdOf.get(change.contactId)
      if (!crmId) continue
      const diff = changedProperties(
        mapping.toCrmProperties(change.values, connection),
        held.get(change.contactId),
        volatile,
      )
      if (!diff) continue
      rows.push({
        workspace_id: workspaceId,
        connection_id: connection.id,
        contact_id: change.contactId,
        crm_id: crmId,
        properties: JSON.stringify(diff),
      })
    }
    if (rows.length > 0) {
      // One statement for the whole batch (a publish rescores every contact).
      await trx
        .insertInto('outbox')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'connection_id', 'contact_id']).doUpdateSet((eb) => ({
            // Newest values win, merged over what is still waiting.
            properties: sql<string>`outbox.properties || excluded.properties`,
            crm_id: eb.ref('excluded.crm_id'),
            status: 'pending',
            attempts: 0,
            updated_at: new Date(),
          })),
        )
        .execute()
    }
    if (rows.length > 0) touched.push(connection.id)
  }
  return touched
}
