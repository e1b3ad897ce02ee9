/**
 * The bridge from scoring to the CRMs. Inside the rescore transaction: for each active connection
 * that knows the contact, compute the provider's property values, keep only what differs from what
 * the CRM already holds (as far as Leadgrid wrote it), and upsert the outbox row — newest values
 * win. The flush job (per connection, debounced) sends it. Routes and the engine never call a CRM.
 */
import type { Transaction } from 'kysely'
import { activeConnectionsOf } from '../db/connection-repository.js'
import { identitiesOfContacts } from '../db/contact-identity-repository.js'
import { type NewOutboxRow, upsertOutboxRows, writtenValuesOf } from '../db/outbox-repository.js'
import type { ConnectionRow, Database } from '../db/schema.js'
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
  const touched: string[] = []
  for (const connection of await activeConnectionsOf(trx, workspaceId)) {
    const mapping = mappings[connection.provider]
    if (!mapping) continue
    const rows = await outboxRowsFor(trx, connection, mapping, changes)
    if (rows.length === 0) continue
    await upsertOutboxRows(trx, rows)
    touched.push(connection.id)
  }
  return touched
}

/** The rows one connection needs: contacts it knows, with the values that differ from what it holds. */
async function outboxRowsFor(
  trx: Transaction<Database>,
  connection: ConnectionRow,
  mapping: CrmWriteBackMapping,
  changes: ScoreChange[],
): Promise<NewOutboxRow[]> {
  const { workspace_id: workspaceId } = connection
  const contactIds = changes.map((c) => c.contactId)
  const crmIds = await identitiesOfContacts(trx, workspaceId, connection.provider, contactIds)
  if (crmIds.length === 0) return []
  const crmIdOf = new Map(crmIds.map((r) => [r.contact_id, r.value]))
  const held = await writtenValuesOf(trx, workspaceId, connection.id, [...crmIdOf.keys()])
  const volatile = mapping.volatileProperties(connection)
  const rows: NewOutboxRow[] = []
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
      properties: diff,
    })
  }
  return rows
}
