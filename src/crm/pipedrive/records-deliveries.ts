/**
 * What stored webhook deliveries mean: person upserts, merges and erasures, events from activities,
 * outcomes from won and lost deals. A delivery carries only "crucial information", so the persons it
 * names are read as they are now, once each, after every delivery of the batch is known.
 */
import type { Clock } from '../../clock.js'
import type { EventInput } from '../../events/ingestion-schemas.js'
import type { CrmDeliveryEffects } from '../types.js'
import type { PersonsCalls } from './client-persons.js'
import { dealOutcome, eventsFromActivity, type PipedriveActivity, personUpsert } from './mapping.js'
import { classifyDelivery, type PipedriveWebhook, parsePipedriveWebhook, webhookInstant } from './webhooks.js'

export interface DeliveryReadingDeps {
  client: Pick<PersonsCalls, 'listPersons' | 'getPerson'>
  companyId: string
  /** The field codes Leadgrid writes: a change of these alone is the echo of our own write. */
  own: ReadonlySet<string>
  clock: Clock
}

/** What the batch has said so far: effects in delivery order, persons still to read or erased. */
interface Reading {
  effects: CrmDeliveryEffects
  toRead: Set<string>
  erased: Set<string>
  seenOutcomes: Set<string>
}

export async function interpretDeliveries(
  deps: DeliveryReadingDeps,
  payloads: unknown[],
): Promise<CrmDeliveryEffects> {
  const reading: Reading = {
    effects: { contacts: [], events: [], merges: [], erased: [], outcomes: [] },
    toRead: new Set(),
    erased: new Set(),
    seenOutcomes: new Set(),
  }
  for (const raw of payloads) {
    const parsed = parsePipedriveWebhook(raw)
    if (!parsed.ok) continue // stored only after parsing: cannot happen, and nothing to do if it did
    if (parsed.delivery.meta.company_id !== deps.companyId) continue
    await readDelivery(deps, reading, parsed.delivery)
  }
  const { effects, erased } = reading
  for (const id of reading.toRead) {
    const person = await deps.client.getPerson(Number(id))
    if (person) effects.contacts.push(personUpsert(person, deps.own))
    else erased.add(id) // deleted since the delivery: treated as the delete that follows
  }
  effects.erased = [...erased]
  return effects
}

async function readDelivery(deps: DeliveryReadingDeps, reading: Reading, w: PipedriveWebhook) {
  const { effects, toRead, erased } = reading
  const change = classifyDelivery(w, deps.own)
  switch (change.kind) {
    case 'person.upsert':
      if (w.meta.merged_from_id) effects.merges.push([w.meta.merged_from_id, change.personId])
      toRead.add(change.personId)
      erased.delete(change.personId)
      break
    case 'person.merged':
      // The merged-away id now names the survivor; the survivor's change event follows.
      effects.merges.push([change.personId, change.mergedInto])
      toRead.add(change.mergedInto)
      break
    case 'person.delete':
      erased.add(change.personId)
      toRead.delete(change.personId)
      break
    case 'activity': {
      const instant = webhookInstant(w)
      const at = instant ? new Date(instant) : deps.clock.now()
      if (w.data) {
        const activity = w.data as unknown as PipedriveActivity
        effects.events.push(...(eventsFromActivity(deps.companyId, activity, at) as EventInput[]))
      }
      break
    }
    case 'deal':
      await readDealOutcome(deps, reading, w, change.dealId)
      break
    case 'ignored':
      break
  }
}

/** A deal won or lost: one outcome for its person and for each of its participants, once each. */
async function readDealOutcome(
  deps: DeliveryReadingDeps,
  reading: Reading,
  w: PipedriveWebhook,
  dealId: string,
) {
  const outcome = dealOutcome(w.data, w.previous)
  if (!outcome) return
  const persons = new Set<string>()
  if (outcome.personId) persons.add(outcome.personId)
  const participants = await deps.client.listPersons({ dealId: Number(dealId) })
  for (const p of participants.persons) persons.add(String(p.id))
  const occurredAt = outcome.occurredAt ?? webhookInstant(w) ?? deps.clock.now().toISOString()
  for (const crmId of persons) {
    const sourceKey = `pd:${deps.companyId}:deal:${dealId}:${outcome.kind}:${crmId}`
    if (reading.seenOutcomes.has(sourceKey)) continue
    reading.seenOutcomes.add(sourceKey)
    reading.effects.outcomes.push({ crmId, kind: outcome.kind, occurredAt, sourceKey })
  }
}
