/**
 * HubSpot ⇄ Leadgrid vocabulary, pure functions only (no I/O):
 *  (a) contact properties → the normalized profile plus `hubspot.<name>` for every fetched property,
 *      and the contact's primary company → `company.<name>` (filling size, industry, country the contact lacks);
 *  (b) engagement-revealing properties (listed here; the lead events they imply: records-events.ts);
 *  (c) a score → the write-back property values;
 *  (d) recognising the echo of Leadgrid's own writes.
 * Property names: https://knowledge.hubspot.com/properties/hubspots-default-contact-properties
 *                 https://knowledge.hubspot.com/properties/hubspot-crm-default-company-properties
 */
import type { ContactProfile } from '../../domain/contact.js'
import type { CrmWriteBackMapping } from '../types.js'

/** Normalized key ← HubSpot internal name. */
export const PROFILE_MAPPING: Readonly<Record<string, string>> = {
  email: 'email',
  firstname: 'firstname',
  lastname: 'lastname',
  jobtitle: 'jobtitle',
  seniority: 'hs_seniority',
  company: 'company',
  // Contacts carry `numemployees` (an enumeration of ranges); `numberofemployees` is the COMPANY's
  // number, read from the associated company below (platform notes, corrections of 2026-11-30).
  company_size: 'numemployees',
  industry: 'industry',
  country: 'country',
  city: 'city',
  lifecycle_stage: 'lifecyclestage',
  lead_source: 'hs_analytics_source',
}

/** Properties whose changes reveal engagement (read into lead events by records-events.ts). */
export const ENGAGEMENT_PROPERTIES = [
  'hs_email_last_open_date',
  'hs_email_last_click_date',
  'hs_email_last_email_name',
  'hs_email_open',
  'hs_email_click',
  'hs_sales_email_last_opened',
  'hs_sales_email_last_clicked',
  'hs_analytics_num_page_views',
  'hs_analytics_last_url',
  'hs_analytics_last_timestamp',
  'num_conversion_events',
  'recent_conversion_event_name',
  'recent_conversion_date',
  'engagements_last_meeting_booked',
] as const

/** What Leadgrid reads of a contact: the profile, the engagement snapshot and the record's dates. */
export const CONTACT_READ_PROPERTIES: readonly string[] = [
  ...new Set([...Object.values(PROFILE_MAPPING), ...ENGAGEMENT_PROPERTIES, 'createdate', 'lastmodifieddate']),
]

/**
 * What Leadgrid reads of a contact's primary company; each becomes `company.<name>` on the contact,
 * so grids can test `company.numberofemployees`, `company.industry`, `company.annualrevenue`…
 * (`hs_lastmodifieddate` is left out on purpose: it changes on every edit and would rescore for nothing.)
 */
export const COMPANY_READ_PROPERTIES = [
  'name',
  'domain',
  'industry',
  'numberofemployees',
  'annualrevenue',
  'country',
  'state',
  'city',
  'type',
  'lifecyclestage',
] as const

const COMPANY_READ_SET: ReadonlySet<string> = new Set(COMPANY_READ_PROPERTIES)

/** Whether a company property change can change a contact's profile (the others are ignored). */
export function isCompanyPropertyRead(propertyName: string): boolean {
  return COMPANY_READ_SET.has(propertyName)
}

/** Normalized key ← company property, used when the contact has no value of its own. */
const COMPANY_FALLBACKS: Readonly<Record<string, string>> = {
  company_size: 'numberofemployees',
  industry: 'industry',
  country: 'country',
}

const PROFILE_SOURCES = new Set(Object.values(PROFILE_MAPPING))
const ENGAGEMENT_SET: ReadonlySet<string> = new Set(ENGAGEMENT_PROPERTIES)

export type PropertyChangeKind = 'profile' | 'engagement' | 'own' | 'other'

/** Which way a propertyChange goes: rescore the profile, derive events, ignore our echo, or ignore. */
export function classifyPropertyChange(propertyName: string): PropertyChangeKind {
  if (propertyName.startsWith('leadgrid_')) return 'own'
  if (ENGAGEMENT_SET.has(propertyName)) return 'engagement'
  if (PROFILE_SOURCES.has(propertyName)) return 'profile'
  return 'other'
}

/**
 * An employee count from HubSpot: the company's `numberofemployees` (a number) or the contact's
 * `numemployees` (an enumeration of ranges: "1-5", "5-25", "25-50", "50-100", "100-500", "500-1000",
 * "1000+"; portals may add or rename options, so any "a-b" / "a+" value is understood).
 *
 * A range becomes its midpoint, rounded down ("100-500" → 300, "25-50" → 37, "50-100" → 75): the
 * best single estimate of a company in the range, and — because HubSpot's ranges meet at their bounds
 * — a threshold placed at a bound classifies whole ranges: `company_size > 50` holds for "50-100" and
 * above (a "50-100" company has at least 50 employees, almost always more) and never for "25-50" or
 * below. An open range ("1000+") becomes its bound, the only count it promises (so `>= 1000` holds,
 * `> 1000` does not). Plain numbers stay as they are; anything else is unknown (null) and the raw
 * value stays readable as `hubspot.numemployees`.
 */
export function parseEmployeeCount(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null
  const v = value.trim().replace(/[,\s]/g, '')
  if (v === '') return null
  if (/^\d+(\.\d+)?$/.test(v)) return Math.floor(Number(v))
  const range = /^(\d+)-(\d+)$/.exec(v)
  if (range) return Math.floor((Number(range[1]) + Number(range[2])) / 2)
  const open = /^(\d+)\+$/.exec(v) ?? /^(?:over|more than|>)(\d+)$/i.exec(v)
  if (open) return Number(open[1])
  return null
}

type Properties = Record<string, string | null | undefined>

/**
 * `company.<name>` for every company property Leadgrid reads: the value, or null (clears it) when the
 * company lacks it or the contact has no company — so a contact that changes company keeps nothing of
 * the old one.
 */
export function companyProfile(company: Properties | null): ContactProfile {
  const out: ContactProfile = {}
  for (const name of COMPANY_READ_PROPERTIES) {
    const raw = company?.[name]
    out[`company.${name}`] = raw === undefined || raw === null || raw.trim() === '' ? null : raw
  }
  return out
}

/**
 * (a) The normalized profile of a HubSpot contact. Unset HubSpot values are left out, not nulled.
 * With `company` (its primary company's properties, or null for none) the profile also carries
 * `company.*`, and the company fills `company_size` (from `numberofemployees`), `industry` and
 * `country` when the contact has no value of its own; without it (company not read) nothing about
 * the company is touched.
 */
export function profileFromHubSpot(properties: Properties, company?: Properties | null): ContactProfile {
  const profile: ContactProfile = {}
  for (const [key, source] of Object.entries(PROFILE_MAPPING)) {
    const raw = properties[source]
    if (raw === undefined || raw === null || raw === '') continue
    if (key === 'company_size') {
      const n = parseEmployeeCount(raw)
      if (n !== null) profile[key] = n
    } else {
      profile[key] = key === 'email' ? raw.trim().toLowerCase() : raw
    }
  }
  for (const [name, raw] of Object.entries(properties)) {
    if (raw === undefined || name.startsWith('leadgrid_') || name === 'hs_object_id') continue
    profile[`hubspot.${name}`] = raw === '' ? null : raw
  }
  if (company !== undefined) Object.assign(profile, companyFallbacks(properties, company))
  return profile
}

/**
 * The company part of a contact's profile: `company.*`, plus the fallbacks the contact's own
 * properties leave open. `contact` holds the contact's raw HubSpot values (as fetched, or as stored
 * under `hubspot.*`).
 */
export function companyFallbacks(contact: Properties, company: Properties | null): ContactProfile {
  const out = companyProfile(company)
  for (const [key, companySource] of Object.entries(COMPANY_FALLBACKS)) {
    const own = contact[PROFILE_MAPPING[key]!]
    const ownValue = key === 'company_size' ? parseEmployeeCount(own) : own?.trim() || null
    if (ownValue !== null && ownValue !== undefined) continue
    const raw = company?.[companySource]
    if (raw === undefined || raw === null || raw.trim() === '') continue
    if (key === 'company_size') {
      const n = parseEmployeeCount(raw)
      if (n !== null) out[key] = n
    } else {
      out[key] = raw
    }
  }
  return out
}

/** A contact's raw HubSpot values back from its stored profile (`hubspot.<name>` keys). */
export function hubspotValuesOf(profile: ContactProfile): Properties {
  const out: Properties = {}
  for (const [key, value] of Object.entries(profile)) {
    if (!key.startsWith('hubspot.')) continue
    out[key.slice('hubspot.'.length)] = value === null ? null : String(value)
  }
  return out
}

/** What the write-back needs of a score. */
export interface ScoreForCrm {
  total: number
  fit: number
  engagement: number
  band: string
  grade: string
  mql: boolean
  mqlSince: Date | string | null
  reasons: string
  computedAt: Date | string
}

/**
 * (c) The write-back property values (provisioning.ts creates them). Every value is a string, as HubSpot's API holds them; datetimes are
 * UTC epoch milliseconds, the format HubSpot documents as accepted by every endpoint
 * (https://developers.hubspot.com/docs/faq/how-should-timestamps-be-formatted-for-hubspots-apis).
 * An empty string clears a value (https://developers.hubspot.com/docs/api/crm/contacts).
 */
export function scoreToHubSpotProperties(score: ScoreForCrm): Record<string, string> {
  const ms = (d: Date | string) => String(new Date(d).getTime())
  return {
    leadgrid_score: String(score.total),
    leadgrid_fit: String(score.fit),
    leadgrid_engagement: String(score.engagement),
    leadgrid_band: score.band,
    leadgrid_grade: score.grade,
    leadgrid_mql_status: score.mql ? 'mql' : 'not_mql',
    leadgrid_mql_date: score.mqlSince ? ms(score.mqlSince) : '',
    leadgrid_reasons: score.reasons.slice(0, 255),
    leadgrid_scored_at: ms(score.computedAt),
  }
}

/** HubSpot's side of the write-back outbox (../write-back-outbox.ts): a score's property values. */
export const hubspotWriteBackMapping: CrmWriteBackMapping = {
  toCrmProperties: (v) =>
    scoreToHubSpotProperties({
      total: v.score,
      fit: v.fit,
      engagement: v.engagement,
      band: v.band,
      grade: v.grade,
      mql: v.mql,
      mqlSince: v.mqlSince,
      reasons: v.reasons,
      computedAt: v.scoredAt,
    }),
  // "Scored at" changes on every computation: worth sending only along with a real change.
  volatileProperties: () => ['leadgrid_scored_at'],
}

/** HubSpot's default lifecycle order (customisable per portal; unknown stages are never touched). */
const LIFECYCLE_ORDER = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
]

/**
 * The optional forward move on MQL: `marketingqualifiedlead` when the contact is MQL and its stage is
 * empty, subscriber or lead — never backward, never over a stage we do not know.
 * Forward-only rule: https://developers.hubspot.com/docs/api/crm/contacts
 */
export function lifecycleStageOnMql(
  mql: boolean,
  currentStage: string | null | undefined,
): string | undefined {
  if (!mql) return undefined
  const current = (currentStage ?? '').trim()
  if (current === '') return 'marketingqualifiedlead'
  const at = LIFECYCLE_ORDER.indexOf(current)
  const target = LIFECYCLE_ORDER.indexOf('marketingqualifiedlead')
  return at >= 0 && at < target ? 'marketingqualifiedlead' : undefined
}

/**
 * (d) Our own write coming back. A change to a `leadgrid_*` property is always ours (nobody else should
 * write them); any other change is ours when HubSpot attributes it to an integration whose source id is
 * our app id (captured payloads show `changeSource: "INTEGRATION"`, `sourceId: "<appId>"`).
 */
export function isEchoOfOwnWrite(
  event: {
    propertyName?: string | undefined
    changeSource?: string | undefined
    sourceId?: string | undefined
  },
  appId: string | undefined,
): boolean {
  if (event.propertyName?.startsWith('leadgrid_')) return true
  if (!appId || event.changeSource !== 'INTEGRATION' || !event.sourceId) return false
  return event.sourceId === appId || event.sourceId === `app:${appId}` || event.sourceId === `appId:${appId}`
}
