/**
 * HubSpot facts → Leadgrid outcomes (for calibration), as pure functions over HubSpot's documented
 * payloads, in the provider-neutral `CrmOutcome` shape the Pipedrive adapter already reports
 * (crm/types.ts), so the same recorder (outcomes/outcome-service.ts `crmOutcomeRecorder`) stores them.
 *
 * - Lifecycle stage: a `contact.propertyChange` on `lifecyclestage` to `salesqualifiedlead` → sql,
 *   `opportunity` → opportunity, `customer` → won. HubSpot's default internal values, see
 *   https://knowledge.hubspot.com/records/use-lifecycle-stages (portals can add custom stages: those
 *   carry a numeric internal id and are not outcomes here).
 * - Disqualification: `hs_lead_status` set to `UNQUALIFIED` (the default "Lead status" option,
 *   https://knowledge.hubspot.com/properties/hubspots-default-contact-properties).
 * - Backfill of the same facts from a contact's calculated "date entered stage" properties
 *   (`hs_lifecyclestage_salesqualifiedlead_date`, …), which HubSpot keeps per default stage.
 * - Deals: a deal whose stage is closed is won when its stage's probability is 1 and lost when it
 *   is 0 — HubSpot's pipelines API gives each stage `metadata.isClosed` and `metadata.probability`
 *   as strings (https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/guide) —
 *   and becomes one outcome per associated contact, at the deal's `closedate`.
 *
 * Every outcome's `sourceKey` names the HubSpot fact (portal, contact or deal, kind), not the
 * delivery: the webhook's retry, the backfill and the reconciliation record it once.
 */
import type { CrmConnection, CrmOutcome } from '../types.js'

/** The lifecycle stage values that are outcomes, and what each means for calibration. */
export const LIFECYCLE_OUTCOMES: Readonly<Record<string, CrmOutcome['kind']>> = {
  salesqualifiedlead: 'sql',
  opportunity: 'opportunity',
  customer: 'won',
}
/** The calculated "became <stage>" date property of each default lifecycle stage. */
export const LIFECYCLE_DATE_PROPERTIES: Readonly<Record<string, CrmOutcome['kind']>> = {
  hs_lifecyclestage_salesqualifiedlead_date: 'sql',
  hs_lifecyclestage_opportunity_date: 'opportunity',
  hs_lifecyclestage_customer_date: 'won',
}
export const LEAD_STATUS_DISQUALIFIED = 'UNQUALIFIED'
/** Contact properties to read for a backfill of outcomes. */
export const OUTCOME_CONTACT_PROPERTIES = [
  ...Object.keys(LIFECYCLE_DATE_PROPERTIES),
  'hs_lead_status',
  'lastmodifieddate',
] as const
/** Deal properties to read for deal outcomes. */
export const OUTCOME_DEAL_PROPERTIES = ['dealstage', 'pipeline', 'closedate', 'hs_lastmodifieddate'] as const
/** The OAuth scope deal outcomes need (one of HUBSPOT_REQUIRED_SCOPES). */
export const DEALS_READ_SCOPE = 'crm.objects.deals.read'

/** Installs made before Leadgrid asked for the deals scope have not granted it (their deals are skipped). */
export function canReadDeals(connection: Pick<CrmConnection, 'scopes'>): boolean {
  return connection.scopes.includes(DEALS_READ_SCOPE)
}

/** The fields of a webhook event this mapping reads (see webhooks.ts for the whole shape). */
export interface HubSpotPropertyChange {
  portalId: number
  objectId?: number
  occurredAt: number
  subscriptionType: string
  objectTypeId?: string
  propertyName?: string
  propertyValue?: string
}

const toIso = (ms: number) => new Date(ms).toISOString()

/** The outcome a contact property change means, or null (most changes are not outcomes). */
export function outcomeFromPropertyChange(event: HubSpotPropertyChange): CrmOutcome | null {
  if (event.subscriptionType !== 'contact.propertyChange' || event.objectId === undefined) return null
  const value = (event.propertyValue ?? '').trim()
  let kind: CrmOutcome['kind'] | undefined
  if (event.propertyName === 'lifecyclestage') kind = LIFECYCLE_OUTCOMES[value.toLowerCase()]
  else if (event.propertyName === 'hs_lead_status' && value.toUpperCase() === LEAD_STATUS_DISQUALIFIED)
    kind = 'disqualified'
  if (!kind) return null
  const crmId = String(event.objectId)
  return {
    crmId,
    kind,
    occurredAt: toIso(event.occurredAt),
    sourceKey: `hs:${event.portalId}:contact:${crmId}:${kind}`,
  }
}

/**
 * Outcomes from a contact read through the API (backfill, reconciliation): one per default stage
 * the contact has entered, at the date HubSpot recorded, and a disqualification at the last change
 * when the lead status is UNQUALIFIED (HubSpot keeps no date of that change).
 */
export function outcomesFromContact(
  portalId: string | number,
  contact: { id: string; properties: Record<string, string | null | undefined> },
): CrmOutcome[] {
  const out: CrmOutcome[] = []
  for (const [property, kind] of Object.entries(LIFECYCLE_DATE_PROPERTIES)) {
    const at = parseHubSpotDate(contact.properties[property])
    if (at)
      out.push({
        crmId: contact.id,
        kind,
        occurredAt: at,
        sourceKey: `hs:${portalId}:contact:${contact.id}:${kind}`,
      })
  }
  const status = (contact.properties['hs_lead_status'] ?? '').trim().toUpperCase()
  const changed = parseHubSpotDate(contact.properties['lastmodifieddate'])
  if (status === LEAD_STATUS_DISQUALIFIED && changed) {
    out.push({
      crmId: contact.id,
      kind: 'disqualified',
      occurredAt: changed,
      sourceKey: `hs:${portalId}:contact:${contact.id}:disqualified`,
    })
  }
  return out
}

/** HubSpot dates come as ISO strings or epoch milliseconds (as strings); blank means none. */
export function parseHubSpotDate(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw.trim() === '') return null
  const s = raw.trim()
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s)
  return Number.isFinite(ms) ? toIso(ms) : null
}

export interface HubSpotPipelineStage {
  id: string
  label?: string
  metadata?: Record<string, string | undefined>
}
export interface HubSpotPipeline {
  id: string
  label?: string
  stages: HubSpotPipelineStage[]
}

export type StageClass = 'won' | 'lost' | 'open'

/**
 * Stage id → won / lost / open, from the pipelines API. A closed stage with probability 1 is won,
 * with probability 0 lost; a closed stage in between (a custom "closed - on hold") is neither.
 * Stage ids are unique in a portal, so one map covers every pipeline.
 */
export function classifyDealStages(pipelines: readonly HubSpotPipeline[]): Map<string, StageClass> {
  const out = new Map<string, StageClass>()
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) {
      const closed = stage.metadata?.['isClosed'] === 'true'
      const p = Number(stage.metadata?.['probability'])
      out.set(stage.id, closed && p === 1 ? 'won' : closed && p === 0 ? 'lost' : 'open')
    }
  }
  return out
}

export interface HubSpotDeal {
  id: string
  properties: Record<string, string | null | undefined>
}

/**
 * The outcomes of a closed deal for each associated contact: won or lost at its close date (else
 * its last change); nothing for a deal in an open stage or a stage the pipelines did not list.
 */
export function outcomesFromDeal(
  portalId: string | number,
  deal: HubSpotDeal,
  contactIds: readonly string[],
  stages: ReadonlyMap<string, StageClass>,
): CrmOutcome[] {
  const stage = deal.properties['dealstage']
  const cls = stage ? stages.get(stage) : undefined
  if (cls !== 'won' && cls !== 'lost') return []
  const at =
    parseHubSpotDate(deal.properties['closedate']) ?? parseHubSpotDate(deal.properties['hs_lastmodifieddate'])
  if (!at) return []
  return [...new Set(contactIds)].map((crmId) => ({
    crmId,
    kind: cls,
    occurredAt: at,
    sourceKey: `hs:${portalId}:deal:${deal.id}:${cls}:${crmId}`,
  }))
}

/**
 * A deal webhook event that may close a deal (its stage changed, or it was created closed), in the
 * classic form (`deal.propertyChange`) or the generic one (`object.*` with `objectTypeId` "0-3",
 * HubSpot's id for deals), as webhooks.ts accepts both for contacts.
 */
export function isDealStageChange(event: HubSpotPropertyChange): boolean {
  const [scope, action] = event.subscriptionType.split('.', 2)
  if (scope !== 'deal' && !(scope === 'object' && event.objectTypeId === '0-3')) return false
  return (action === 'propertyChange' && event.propertyName === 'dealstage') || action === 'creation'
}
