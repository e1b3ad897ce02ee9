/**
 * Recording outcomes: contacts resolved by their identities exactly as events do (an outcome for a
 * lead Leadgrid has never seen creates the contact, first seen at the outcome), each outcome stored
 * once. A batch is one transaction: all of it or nothing.
 */

import { resolveContact } from '../db/contact-repository.js'
import type { Db } from '../db/database.js'
import { insertOutcomes, type NewOutcome } from '../db/outcome-repository.js'
import type { CrmOutcome, CrmProviderName } from '../domain/crm.js'
import { contactRefOfCrmId, identitiesOf } from '../events/ingestion-schemas.js'
import { type OutcomeInput, outcomeKey } from './outcome-schemas.js'

export interface RecordOutcomesResult {
  accepted: number
  duplicates: number
}

export function createOutcomeService(deps: { db: Db }) {
  return {
    async record(workspaceId: string, items: OutcomeInput[], source: string): Promise<RecordOutcomesResult> {
      // One contact resolution per distinct reference, in a fixed order (identity locks).
      const groups = new Map<string, OutcomeInput[]>()
      for (const item of items) {
        const key = JSON.stringify(identitiesOf(item.contact))
        groups.set(key, [...(groups.get(key) ?? []), item])
      }
      const sorted = [...groups].sort(([a], [b]) => a.localeCompare(b))
      return deps.db.transaction().execute(async (trx) => {
        const rows: NewOutcome[] = []
        for (const [, group] of sorted) {
          const ref = group[0]!.contact
          const earliest = group.map((o) => o.occurredAt).sort()[0]!
          const email = ref.email?.toLowerCase()
          const contact = await resolveContact(trx, workspaceId, identitiesOf(ref), new Date(earliest), {
            initialProfile: email ? { email } : {},
          })
          for (const o of group)
            rows.push({
              id: outcomeKey(o),
              contactId: contact.id,
              kind: o.kind,
              occurredAt: o.occurredAt,
              source,
            })
        }
        // Duplicates inside one batch count as duplicates too.
        const unique = [...new Map(rows.map((r) => [r.id, r])).values()]
        const accepted = await insertOutcomes(trx, workspaceId, unique)
        return { accepted, duplicates: items.length - accepted }
      })
    },
  }
}

export type OutcomeService = ReturnType<typeof createOutcomeService>

/**
 * Outcomes a CRM reported (a Pipedrive deal won or lost), into the same store as the API's: each
 * keyed by the CRM's own fact (deal, status, person), so a redelivery records nothing twice.
 */
export function crmOutcomeRecorder(outcomes: OutcomeService) {
  return async (
    workspaceId: string,
    from: { provider: CrmProviderName; identityKind: CrmProviderName },
    reported: CrmOutcome[],
  ): Promise<void> => {
    const { provider, identityKind } = from
    await outcomes.record(
      workspaceId,
      reported.map((o) => ({
        id: o.sourceKey,
        contact: contactRefOfCrmId(identityKind, o.crmId),
        kind: o.kind,
        occurredAt: o.occurredAt,
      })),
      provider,
    )
  }
}
