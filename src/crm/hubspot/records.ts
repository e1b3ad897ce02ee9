/**
 * HubSpot contacts as Leadgrid records (pure): the profile (with the primary company's values when
 * they were read), identities, first-seen time, the engagement events their state implies, and each
 * contact's company link. Backfill, reconciliation and webhooks all go through this, so the same
 * contact read by any path is stored the same way (event ids derive from HubSpot's state).
 */
import type { ContactUpsert } from '../../events/ingestion-schemas.js'
import type { CrmRecords } from '../types.js'
import type { HubSpotContact } from './client-contacts.js'
import type { ContactCompanies } from './companies.js'
import { CONTACT_READ_PROPERTIES, profileFromHubSpot } from './mapping.js'
import { OUTCOME_CONTACT_PROPERTIES, outcomesFromContact } from './outcomes.js'
import { engagementEventsFromSnapshot } from './records-events.js'

/** Longest text kept per profile value (HubSpot's own limit is far above what scoring reads). */
const MAX_VALUE_LENGTH = 4096

/**
 * Properties read only to learn outcomes ("became SQL on…", lead status): kept out of the profile, or
 * a grid (and the calibration's candidate features) could score on the very outcome it must predict.
 */
const OUTCOME_ONLY: ReadonlySet<string> = new Set(
  OUTCOME_CONTACT_PROPERTIES.filter((p) => !CONTACT_READ_PROPERTIES.includes(p)),
)
const withoutOutcomeOnly = (properties: Record<string, string | null>) =>
  Object.fromEntries(Object.entries(properties).filter(([k]) => !OUTCOME_ONLY.has(k)))

export function hubspotRecords(
  portalId: string,
  contacts: HubSpotContact[],
  companies: ContactCompanies | undefined,
  now: Date,
): CrmRecords {
  const upserts: ContactUpsert[] = contacts.map((c) => {
    const email = c.properties['email']?.trim().toLowerCase()
    const company = companies?.byContact.has(c.id) ? (companies.byContact.get(c.id) ?? null) : undefined
    const properties = Object.fromEntries(
      Object.entries(
        profileFromHubSpot(
          withoutOutcomeOnly(c.properties),
          company === undefined ? undefined : (company?.properties ?? null),
        ),
      ).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, MAX_VALUE_LENGTH) : v]),
    )
    const created = c.properties['createdate'] ?? c.createdAt
    return {
      contact: { hubspotId: c.id, ...(email?.includes('@') ? { email } : {}) },
      properties: properties as ContactUpsert['properties'],
      ...(created && !Number.isNaN(new Date(created).getTime())
        ? { createdAt: new Date(created).toISOString() }
        : {}),
    }
  })
  const events = contacts.flatMap((c) =>
    engagementEventsFromSnapshot(portalId, c.id, c.properties, now).map(
      ({ id, contact, type, occurredAt, attributes }) => ({ id, contact, type, occurredAt, attributes }),
    ),
  )
  // Stages entered and disqualification, as HubSpot dates them; keyed by the fact, so the same
  // contact read by the backfill, a reconciliation and a webhook records each once.
  const outcomes = contacts.flatMap((c) => outcomesFromContact(portalId, c))
  const records: CrmRecords = { contacts: upserts, events, outcomes }
  if (companies) {
    records.companyLinks = new Map(
      [...companies.byContact].map(([contactId, company]) => [contactId, company?.id ?? null]),
    )
  }
  return records
}
