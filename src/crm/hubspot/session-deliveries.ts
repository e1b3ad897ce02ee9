/**
 * What a run of stored HubSpot webhook deliveries means (a session's `interpretDeliveries`): first
 * sorted into a plan without any call — contacts to read, to erase, merges, changed companies,
 * outcomes the events carry themselves, deals whose stage changed — then the reads the plan needs.
 */
import type { Logger } from 'pino'
import type { CrmDeliveryEffects, CrmOutcome, CrmRecords } from '../types.js'
import type { HubSpotContact } from './client-contacts.js'
import { classifyPropertyChange, isCompanyPropertyRead, isEchoOfOwnWrite } from './mapping.js'
import { isDealStageChange, outcomeFromPropertyChange } from './outcomes.js'
import {
  type ContactEventKind,
  companyEventKind,
  contactEventKind,
  contactOfCompanyAssociation,
  type HubSpotWebhookEvent,
} from './webhooks.js'

/** What the deliveries ask for, before anything is read. */
interface DeliveryPlan {
  toFetch: Set<string>
  erase: Set<string>
  merges: string[][]
  changedCompanies: Set<string>
  reported: CrmOutcome[]
  dealIds: Set<string>
}

export interface DeliveryReads {
  /** The won/lost outcomes of deals whose stage changed (session-deals.ts). */
  dealOutcomes(dealIds: string[]): Promise<CrmOutcome[]>
  /** Contacts as HubSpot holds them now. */
  readContacts(ids: string[]): Promise<HubSpotContact[]>
  /** Contacts as records, with their companies. */
  records(contacts: HubSpotContact[]): Promise<CrmRecords>
}

/** Each outcome once (the first reported wins: a webhook's own time before a stage's recorded date). */
function uniqueOutcomes(outcomes: CrmOutcome[], erased: ReadonlySet<string>): CrmOutcome[] {
  const seen = new Map<string, CrmOutcome>()
  for (const o of outcomes) if (!erased.has(o.crmId) && !seen.has(o.sourceKey)) seen.set(o.sourceKey, o)
  return [...seen.values()]
}

function planContactEvent(plan: DeliveryPlan, kind: ContactEventKind, e: HubSpotWebhookEvent): void {
  const objectId = String(e.objectId)
  switch (kind) {
    case 'creation':
    case 'restore':
      plan.toFetch.add(objectId)
      break
    case 'propertyChange': {
      // Lifecycle stage reached, or disqualified: dated by the change itself.
      const outcome = outcomeFromPropertyChange(e)
      if (outcome) plan.reported.push(outcome)
      const what = classifyPropertyChange(e.propertyName ?? '')
      // Profile and engagement changes alike: read the contact as HubSpot holds it now, so the
      // profile is whole and the engagement ids come from HubSpot's state (see records-events.ts).
      if (what === 'profile' || what === 'engagement') plan.toFetch.add(objectId)
      break
    }
    case 'merge': {
      const survivor = e.newObjectId ?? e.primaryObjectId
      const ids = [e.primaryObjectId, e.newObjectId, e.objectId, ...(e.mergedObjectIds ?? [])]
        .filter((x): x is number => x !== undefined && x !== survivor)
        .map(String)
      if (survivor !== undefined) {
        plan.merges.push([...ids, String(survivor)])
        plan.toFetch.add(String(survivor))
      }
      break
    }
    case 'deletion':
    case 'privacyDeletion':
      plan.erase.add(objectId)
      break
    case 'associationChange': {
      // The contact's companies changed: read it again (with its primary company).
      const contactId = contactOfCompanyAssociation(e)
      if (contactId !== null) plan.toFetch.add(contactId)
      break
    }
  }
}

/** Sorts the events into a plan; logs those of a type Leadgrid does not handle (acknowledged). */
export function planDeliveries(
  events: HubSpotWebhookEvent[],
  ctx: { appId: string | undefined; logger: Pick<Logger, 'info'> },
): DeliveryPlan {
  const plan: DeliveryPlan = {
    toFetch: new Set(),
    erase: new Set(),
    merges: [],
    changedCompanies: new Set(),
    reported: [],
    dealIds: new Set(),
  }
  for (const e of events) {
    if (isDealStageChange(e)) {
      plan.dealIds.add(String(e.objectId))
      continue
    }
    const kind = contactEventKind(e)
    const companyKind = kind === null ? companyEventKind(e) : null
    if (companyKind !== null) {
      // Only the properties Leadgrid reads can change a contact's profile; a deleted company is
      // read as gone, which clears its contacts' company values.
      if (companyKind === 'deletion' || isCompanyPropertyRead(e.propertyName ?? '')) {
        plan.changedCompanies.add(String(e.objectId))
      }
      continue
    }
    if (kind === null) {
      ctx.logger.info(
        { subscriptionType: e.subscriptionType, eventId: e.eventId },
        'HubSpot webhook of an unhandled type; acknowledged',
      )
      continue
    }
    if (!isEchoOfOwnWrite(e, ctx.appId)) planContactEvent(plan, kind, e)
  }
  return plan
}

export async function interpretDeliveries(
  reads: DeliveryReads,
  payloads: unknown[],
  ctx: { appId: string | undefined; logger: Pick<Logger, 'info'> },
): Promise<CrmDeliveryEffects> {
  const plan = planDeliveries(payloads as HubSpotWebhookEvent[], ctx)
  const fromDeals = await reads.dealOutcomes([...plan.dealIds])
  // The contacts of a closed deal are read too, so one Leadgrid has not seen yet arrives whole.
  for (const o of fromDeals) plan.toFetch.add(o.crmId)
  for (const id of plan.erase) plan.toFetch.delete(id)
  const contacts = plan.toFetch.size > 0 ? await reads.readContacts([...plan.toFetch]) : []
  const read = contacts.length > 0 ? await reads.records(contacts) : { contacts: [], events: [] }
  return {
    ...read,
    merges: plan.merges,
    erased: [...plan.erase],
    outcomes: uniqueOutcomes([...plan.reported, ...fromDeals, ...(read.outcomes ?? [])], plan.erase),
    companiesChanged: [...plan.changedCompanies],
  }
}
