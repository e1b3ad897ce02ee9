/**
 * The person fields Leadgrid owns in a Pipedrive company, and creating them: what provisioning finds
 * or creates, and what it stores on the connection.
 *
 * Pipedrive gives every custom field a random 40-character `field_code` per company and every option
 * of a single-option field a numeric id, so both are learnt at provisioning and stored on the
 * connection (`PipedriveFieldMap`); nothing here knows a company's codes in advance.
 * Provisioning matches existing fields by name AND type, so a reinstall (or a company that created
 * "Lead score" by hand as a number) reuses them instead of creating "Lead score (2)".
 */
import type { CrmConnection, CrmSession } from '../types.js'
import type { PersonFieldsCalls, PipedrivePersonField } from './client-fields.js'

export type LeadgridFieldKey =
  | 'score'
  | 'fit'
  | 'engagement'
  | 'band'
  | 'grade'
  | 'mqlStatus'
  | 'mqlDate'
  | 'reasons'
  | 'scoredAt'

export interface LeadgridFieldDefinition {
  key: LeadgridFieldKey
  name: string
  type: 'double' | 'enum' | 'date' | 'text' | 'varchar'
  options?: readonly string[]
}

const GRADES = ['A1', 'A2', 'A3', 'B1', 'B2', 'B3', 'C1', 'C2', 'C3'] as const

/** In the order Pipedrive shows them on the person page. */
export const LEADGRID_PERSON_FIELDS: readonly LeadgridFieldDefinition[] = [
  { key: 'score', name: 'Lead score', type: 'double' },
  { key: 'fit', name: 'Fit score', type: 'double' },
  { key: 'engagement', name: 'Engagement score', type: 'double' },
  { key: 'band', name: 'Lead band', type: 'enum', options: ['cold', 'warm', 'hot'] },
  { key: 'grade', name: 'Lead grade', type: 'enum', options: GRADES },
  { key: 'mqlStatus', name: 'MQL status', type: 'enum', options: ['MQL', 'Not MQL'] },
  { key: 'mqlDate', name: 'MQL date', type: 'date' },
  { key: 'reasons', name: 'Score reasons', type: 'text' },
  // A date field has no time of day; the instant is kept readable as text.
  { key: 'scoredAt', name: 'Scored at', type: 'varchar' },
]

/** What the connection stores: each field's code and, for single-option fields, option ids by label. */
export type PipedriveFieldMap = Partial<
  Record<LeadgridFieldKey, { code: string; options?: Record<string, number> }>
>

/** What the connection's settings hold for Pipedrive. */
export interface PipedriveConnectionSettings {
  pipedriveFields?: PipedriveFieldMap
  /** `user:password` of the webhooks' Basic auth, sealed with the secret box. */
  webhookAuthEnc?: string
  /** The user who authorized the install: webhooks are filtered by that user's visibility. */
  pipedriveUserId?: number
}

/**
 * Which of Leadgrid's fields already exist (same name, case-insensitive, and same type) and which must
 * be created. A same-name field of another type is left alone and reported: it is the customer's.
 */
export function planPersonFields(existing: PipedrivePersonField[]): {
  found: PipedriveFieldMap
  missing: LeadgridFieldDefinition[]
  conflicts: { name: string; existingType: string; wantedType: string }[]
  missingOptions: { key: LeadgridFieldKey; code: string; labels: string[] }[]
} {
  const found: PipedriveFieldMap = {}
  const missing: LeadgridFieldDefinition[] = []
  const conflicts: { name: string; existingType: string; wantedType: string }[] = []
  const missingOptions: { key: LeadgridFieldKey; code: string; labels: string[] }[] = []
  for (const def of LEADGRID_PERSON_FIELDS) {
    const sameName = existing.filter(
      (f) => f.is_custom_field !== false && f.field_name.trim().toLowerCase() === def.name.toLowerCase(),
    )
    const match = sameName.find((f) => f.field_type === def.type)
    if (!match) {
      if (sameName.length > 0) {
        conflicts.push({ name: def.name, existingType: sameName[0]!.field_type, wantedType: def.type })
      }
      missing.push(def)
      continue
    }
    const entry: { code: string; options?: Record<string, number> } = { code: match.field_code }
    if (def.options) {
      entry.options = optionIds(match)
      const absent = def.options.filter((label) => !(label.toLowerCase() in lowerKeys(entry.options!)))
      if (absent.length > 0) missingOptions.push({ key: def.key, code: match.field_code, labels: absent })
    }
    found[def.key] = entry
  }
  return { found, missing, conflicts, missingOptions }
}

function lowerKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]))
}

/** Option ids by label, as Pipedrive returned them for a single-option field. */
export function optionIds(field: Pick<PipedrivePersonField, 'options'>): Record<string, number> {
  return Object.fromEntries((field.options ?? []).map((o) => [o.label, o.id]))
}

/** The field map stored on a connection's settings (`pipedriveFields`), or an empty one. */
export function fieldMapOf(connection: Pick<CrmConnection, 'settings'>): PipedriveFieldMap {
  const settings = connection.settings as { pipedriveFields?: PipedriveFieldMap } | null
  return settings?.pipedriveFields ?? {}
}

/** The field codes Leadgrid writes: a change to these alone is the echo of our own write. */
export function ownFieldCodes(fields: PipedriveFieldMap): Set<string> {
  return new Set(Object.values(fields).map((f) => f!.code))
}

/**
 * Leadgrid's person fields in the company: found ones reused, missing ones created, missing options
 * of found single-option fields added; their codes and option ids go to settings `pipedriveFields`.
 */
export async function provisionPipedriveFields(
  fields: PersonFieldsCalls,
): ReturnType<CrmSession['provision']> {
  const plan = planPersonFields(await fields.listPersonFields())
  const map: PipedriveFieldMap = { ...plan.found }
  const created: string[] = []
  for (const def of plan.missing) {
    const field = await fields.addPersonField({
      field_name: def.name,
      field_type: def.type,
      ...(def.options ? { options: def.options.map((label) => ({ label })) } : {}),
    })
    map[def.key] = { code: field.field_code, ...(def.options ? { options: optionIds(field) } : {}) }
    created.push(def.name)
  }
  const optionsAdded: string[] = []
  for (const missing of plan.missingOptions) {
    const options = await fields.addPersonFieldOptions(missing.code, missing.labels)
    const entry = map[missing.key]
    if (entry) entry.options = { ...entry.options, ...optionIds({ options }) }
    optionsAdded.push(`${missing.key}: ${missing.labels.join(', ')}`)
  }
  return {
    report: {
      fieldsCreated: created,
      fieldsReused: LEADGRID_PERSON_FIELDS.filter((d) => plan.found[d.key]).map((d) => d.name),
      optionsAdded,
      conflicts: plan.conflicts,
    },
    settings: { pipedriveFields: map },
  }
}
