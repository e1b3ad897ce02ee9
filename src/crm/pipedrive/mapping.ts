/**
 * Pipedrive ⇄ Leadgrid vocabulary, pure functions only:
 *  (a) a person → the normalized profile plus `pipedrive.<key>` for its other fields, and the upsert
 *      the ingestion takes;
 *  (b) an activity → lead events (meetings booked and held, calls and emails logged by sales);
 *  (c) a deal whose status became won or lost → an outcome for calibration;
 *  (d) a score → the values of Leadgrid's person fields (the write-back).
 * Shapes: https://developers.pipedrive.com/docs/api/v1 (v2 Persons, Activities, Deals) and the webhook
 * v2 guide, where custom fields are `{type, value}` objects keyed by field code.
 */
import type { ContactProfile, ProfileValue } from '../../domain/contact.js'
import type { EventAttributes, EventType } from '../../domain/lead-event.js'
import type { OutcomeKind } from '../../domain/outcome.js'
import type { ContactUpsert } from '../../events/ingestion-schemas.js'
import type { CrmPropertyValues, CrmScoreValues, CrmWriteBackMapping } from '../types.js'
import type { PipedrivePerson } from './client-persons.js'
import { fieldMapOf, type LeadgridFieldKey, type PipedriveFieldMap } from './provisioning.js'

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null
}

/** The primary email, else the first one; Pipedrive persons may have several or none. */
export function primaryEmail(person: Pick<PipedrivePerson, 'emails'>): string | null {
  const emails = (person.emails ?? []).filter((e) => text(e?.value))
  const chosen = emails.find((e) => e.primary) ?? emails[0]
  return chosen ? chosen.value!.trim().toLowerCase() : null
}

/** A custom field's value: v2 wraps it as `{type, value}` (or `{id}` for options); v1 gave it bare. */
export function customFieldValue(raw: unknown): ProfileValue {
  if (raw === null || raw === undefined) return null
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw
  if (typeof raw === 'object') {
    const o = raw as { value?: unknown; id?: unknown; values?: { id?: unknown }[] }
    if ('value' in o) return customFieldValue(o.value)
    if (typeof o.id === 'number' || typeof o.id === 'string') return o.id
    if (Array.isArray(o.values)) return o.values.map((v) => String(v?.id ?? '')).join(',')
  }
  return null
}

/**
 * (a) A person's profile. Pipedrive has no seniority, size or industry on persons (those live on the
 * organization), so those keys stay unknown; every custom field is kept as `pipedrive.<field code>`
 * except Leadgrid's own, which must never feed the score they come from.
 */
export function profileFromPerson(
  person: PipedrivePerson,
  ownFieldCodes: ReadonlySet<string>,
): ContactProfile {
  const profile: ContactProfile = {}
  const email = primaryEmail(person)
  if (email) profile.email = email
  const first = text(person.first_name)
  const last = text(person.last_name)
  if (first) profile.firstname = first
  if (last) profile.lastname = last
  if (!first && !last && text(person.name)) profile.firstname = text(person.name)
  const title = text(person.job_title)
  if (title) profile.jobtitle = title
  if (person.org_id !== null && person.org_id !== undefined) profile['pipedrive.org_id'] = person.org_id
  if (person.owner_id !== null && person.owner_id !== undefined)
    profile['pipedrive.owner_id'] = person.owner_id
  for (const [code, raw] of Object.entries(person.custom_fields ?? {})) {
    if (ownFieldCodes.has(code)) continue
    const value = customFieldValue(raw)
    if (value !== null) profile[`pipedrive.${code}`] = value
  }
  return profile
}

/** (a) A person as the ingestion's contact upsert: its id, email, profile and creation time. */
export function personUpsert(person: PipedrivePerson, ownFieldCodes: ReadonlySet<string>): ContactUpsert {
  const profile = profileFromPerson(person, ownFieldCodes)
  const email = typeof profile.email === 'string' ? profile.email : undefined
  const created = person.add_time ? new Date(person.add_time) : null
  return {
    contact: { pipedriveId: String(person.id), ...(email ? { email } : {}) },
    properties: profile as ContactUpsert['properties'],
    ...(created && !Number.isNaN(created.getTime()) ? { createdAt: created.toISOString() } : {}),
  }
}

export interface PipedriveActivity {
  id: number
  type?: string | null
  subject?: string | null
  done?: boolean | null
  due_date?: string | null
  due_time?: string | null
  add_time?: string | null
  update_time?: string | null
  marked_as_done_time?: string | null
  person_id?: number | null
  participants?: { person_id?: number | null; primary?: boolean | null }[] | null
}

/** An event in the shape the ingestion service takes (`id` becomes the dedupe key). */
export interface PipedriveLeadEvent {
  id: string
  contact: { pipedriveId: string }
  type: EventType
  occurredAt: string
  attributes: EventAttributes
}

function instant(v: string | null | undefined): string | null {
  if (!v) return null
  // Pipedrive's v1 times are "YYYY-MM-DD HH:MM:SS" in UTC; v2's are ISO.
  const d = new Date(/^\d{4}-\d{2}-\d{2} \d/.test(v) ? `${v.replace(' ', 'T')}Z` : v)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

/** Everyone an activity concerns: its person and its participants, once each. */
export function activityPersonIds(a: Pick<PipedriveActivity, 'person_id' | 'participants'>): string[] {
  const ids = new Set<string>()
  if (a.person_id) ids.add(String(a.person_id))
  for (const p of a.participants ?? []) if (p?.person_id) ids.add(String(p.person_id))
  return [...ids]
}

/**
 * (b) Events an activity implies, with ids derived from the activity's state: a meeting is "booked"
 * when it exists and "held" once marked done; a call or an email counts once, when done. The same
 * activity seen again (a retry, reconciliation, another field edited) derives the same ids, so the
 * ingestion's dedupe stores each fact once.
 */
export function eventsFromActivity(
  companyId: string,
  a: PipedriveActivity,
  fallback: Date,
): PipedriveLeadEvent[] {
  const type = (a.type ?? '').toLowerCase()
  const people = activityPersonIds(a)
  if (people.length === 0) return []
  const created = instant(a.add_time) ?? fallback.toISOString()
  const doneAt = instant(a.marked_as_done_time) ?? instant(a.update_time) ?? fallback.toISOString()
  const base = `pd:${companyId}:activity:${a.id}`
  const facts: { suffix: string; type: EventType; at: string; attributes: EventAttributes }[] = []
  if (type === 'meeting') {
    facts.push({
      suffix: 'booked',
      type: 'meeting.booked',
      at: created,
      attributes: { meetingId: String(a.id) },
    })
    if (a.done)
      facts.push({
        suffix: 'held',
        type: 'meeting.held',
        at: doneAt,
        attributes: { meetingId: String(a.id) },
      })
  } else if ((type === 'call' || type === 'email') && a.done) {
    facts.push({
      suffix: 'done',
      type: 'custom',
      at: doneAt,
      attributes: { name: type === 'call' ? 'call.completed' : 'email.logged', activityId: String(a.id) },
    })
  }
  return people.flatMap((personId) =>
    facts.map((f) => ({
      id: `${base}:${f.suffix}:${personId}`,
      contact: { pipedriveId: personId },
      type: f.type,
      occurredAt: f.at,
      attributes: f.attributes,
    })),
  )
}

/**
 * (c) The outcome a deal change records: `won` or `lost` when `status` moved there (Pipedrive sends no
 * won/lost event, only a change with `previous.status`); null for any other change.
 */
export function dealOutcome(
  data: Record<string, unknown> | null,
  previous: Record<string, unknown> | null | undefined,
): { kind: OutcomeKind; occurredAt: string | null; personId: string | null } | null {
  if (!data || !previous || !('status' in previous)) return null
  const status = data.status
  if (status !== 'won' && status !== 'lost') return null
  if (previous.status === status) return null
  const at =
    instant(text(status === 'won' ? data.won_time : data.lost_time)) ?? instant(text(data.close_time)) ?? null
  const person = data.person_id
  return {
    kind: status,
    occurredAt: at,
    personId:
      typeof person === 'number' || (typeof person === 'string' && /^\d+$/.test(person))
        ? String(person)
        : null,
  }
}

function optionId(options: Record<string, number> | undefined, label: string): number | null {
  if (!options) return null
  const hit = Object.entries(options).find(([l]) => l.toLowerCase() === label.toLowerCase())
  return hit ? hit[1] : null
}

/** (d) A score as Pipedrive `custom_fields` values, keyed by this company's field codes. */
export function scoreToPersonFields(values: CrmScoreValues, fields: PipedriveFieldMap): CrmPropertyValues {
  const out: CrmPropertyValues = {}
  const put = (key: LeadgridFieldKey, value: string | number | null) => {
    const field = fields[key]
    if (field) out[field.code] = value
  }
  put('score', values.score)
  put('fit', values.fit)
  put('engagement', values.engagement)
  put('band', optionId(fields.band?.options, values.band))
  put('grade', optionId(fields.grade?.options, values.grade))
  put('mqlStatus', optionId(fields.mqlStatus?.options, values.mql ? 'MQL' : 'Not MQL'))
  put('mqlDate', values.mql && values.mqlSince ? values.mqlSince.slice(0, 10) : null)
  put('reasons', values.reasons)
  put('scoredAt', values.scoredAt)
  return out
}

export const pipedriveWriteBackMapping: CrmWriteBackMapping = {
  toCrmProperties: (values, connection) => scoreToPersonFields(values, fieldMapOf(connection)),
  volatileProperties: (connection) => {
    const code = fieldMapOf(connection).scoredAt?.code
    return code ? [code] : []
  },
}
