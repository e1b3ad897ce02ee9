/**
 * The person fields Leadgrid owns in a Pipedrive company (SPEC §6) and how a score fills them.
 *
 * Pipedrive gives every custom field a random 40-character `field_code` per company and every option
 * of a single-option field a numeric id, so both are learnt at provisioning and stored on the
 * connection (`PipedriveFieldMap`); nothing here knows a company's codes in advance.
 * Provisioning matches existing fields by name AND type, so a reinstall (or a company that created
 * "Lead score" by hand as a number) reuses them instead of creating "Lead score (2)".
 */
import type { CrmConnection, CrmPropertyValues, CrmScoreValues, CrmWriteBackMapping } from '../types.js'
import type { PipedrivePersonField } from './client.js'

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

function optionId(options: Record<string, number> | undefined, label: string): number | null {
  if (!options) return null
  const hit = Object.entries(options).find(([l]) => l.toLowerCase() === label.toLowerCase())
  return hit ? hit[1] : null
}

/** The field map stored on a connection's settings (`pipedriveFields`), or an empty one. */
export function fieldMapOf(connection: Pick<CrmConnection, 'settings'>): PipedriveFieldMap {
  const settings = connection.settings as { pipedriveFields?: PipedriveFieldMap } | null
  return settings?.pipedriveFields ?? {}
}

/** A score as Pipedrive `custom_fields` values, keyed by this company's field codes. */
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

/** The field codes Leadgrid writes: a change to these alone is the echo of our own write. */
export function ownFieldCodes(fields: PipedriveFieldMap): Set<string> {
  return new Set(Object.values(fields).map((f) => f!.code))
}

export const pipedriveWriteBackMapping: CrmWriteBackMapping = {
  toCrmProperties: (values, connection) => scoreToPersonFields(values, fieldMapOf(connection)),
  volatileProperties: (connection) => {
    const code = fieldMapOf(connection).scoredAt?.code
    return code ? [code] : []
  },
}
