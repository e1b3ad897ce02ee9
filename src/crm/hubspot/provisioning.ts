/**
 * Creates the `leadgrid` property group and the contact properties Leadgrid writes its scores to —
 * only those missing from the portal, so running it again changes nothing (a 409 from a concurrent
 * run counts as present).
 * Types and field types: https://developers.hubspot.com/docs/api-reference/latest/crm/properties/create-property
 * (`type` string|number|date|datetime|enumeration|bool; `datetime` pairs with fieldType `date`).
 */
import { CrmError } from '../../errors.js'
import type { HubSpotPropertiesApi, HubSpotPropertyDefinition } from './client-properties.js'

export const LEADGRID_GROUP = {
  name: 'leadgrid',
  label: 'Lead scoring (Leadgrid)',
  displayOrder: -1,
} as const

const options = (values: readonly (readonly [string, string])[]) =>
  values.map(([value, label], displayOrder) => ({ value, label, displayOrder, hidden: false }))

export const BANDS = ['cold', 'warm', 'hot'] as const
export const GRADES = ['A1', 'A2', 'A3', 'B1', 'B2', 'B3', 'C1', 'C2', 'C3'] as const
export const MQL_STATUSES = ['mql', 'not_mql'] as const

const base = { groupName: LEADGRID_GROUP.name, formField: false }

/** The properties Leadgrid writes, exactly: names, types, options (what mapping.ts sends). */
export const LEADGRID_PROPERTIES: readonly HubSpotPropertyDefinition[] = [
  {
    ...base,
    name: 'leadgrid_score',
    label: 'Lead score',
    type: 'number',
    fieldType: 'number',
    description: 'Total score (fit + engagement) computed by Leadgrid.',
    displayOrder: 0,
  },
  {
    ...base,
    name: 'leadgrid_fit',
    label: 'Fit score',
    type: 'number',
    fieldType: 'number',
    description: 'Points from profile rules (explicit scoring).',
    displayOrder: 1,
  },
  {
    ...base,
    name: 'leadgrid_engagement',
    label: 'Engagement score',
    type: 'number',
    fieldType: 'number',
    description: 'Points from engagement rules (implicit scoring).',
    displayOrder: 2,
  },
  {
    ...base,
    name: 'leadgrid_band',
    label: 'Lead band',
    type: 'enumeration',
    fieldType: 'select',
    description: 'cold, warm or hot, from the grid thresholds.',
    displayOrder: 3,
    options: options([
      ['cold', 'Cold'],
      ['warm', 'Warm'],
      ['hot', 'Hot'],
    ]),
  },
  {
    ...base,
    name: 'leadgrid_grade',
    label: 'Lead grade',
    type: 'enumeration',
    fieldType: 'select',
    description: 'Fit letter (A–C) × engagement digit (1–3).',
    displayOrder: 4,
    options: options(GRADES.map((g) => [g, g] as const)),
  },
  {
    ...base,
    name: 'leadgrid_mql_status',
    label: 'MQL status',
    type: 'enumeration',
    fieldType: 'select',
    description: 'Whether the contact is a marketing-qualified lead.',
    displayOrder: 5,
    options: options([
      ['mql', 'MQL'],
      ['not_mql', 'Not MQL'],
    ]),
  },
  {
    ...base,
    name: 'leadgrid_mql_date',
    label: 'MQL date',
    type: 'datetime',
    fieldType: 'date',
    description: 'When the contact last became an MQL.',
    displayOrder: 6,
  },
  {
    ...base,
    name: 'leadgrid_reasons',
    label: 'Score reasons',
    type: 'string',
    fieldType: 'textarea',
    description: 'The largest contributions to the score, e.g. "+50 Whitepapers (2) · −20 Personal email".',
    displayOrder: 7,
  },
  {
    ...base,
    name: 'leadgrid_scored_at',
    label: 'Scored at',
    type: 'datetime',
    fieldType: 'date',
    description: 'When Leadgrid last computed the score.',
    displayOrder: 8,
  },
]

export interface ProvisioningReport {
  groupCreated: boolean
  created: string[]
  existing: string[]
  /** Present under our name but not as defined here (changed by hand?): reported, never overwritten. */
  mismatched: { name: string; problem: string }[]
}

const isConflict = (err: unknown) => err instanceof CrmError && err.status === 409

export async function provisionHubSpotProperties(
  client: Pick<
    HubSpotPropertiesApi,
    'listPropertyGroups' | 'createPropertyGroup' | 'listProperties' | 'createProperty'
  >,
): Promise<ProvisioningReport> {
  const report: ProvisioningReport = { groupCreated: false, created: [], existing: [], mismatched: [] }
  const groups = await client.listPropertyGroups()
  if (!groups.some((g) => g.name === LEADGRID_GROUP.name)) {
    try {
      await client.createPropertyGroup({ ...LEADGRID_GROUP })
      report.groupCreated = true
    } catch (err) {
      if (!isConflict(err)) throw err
    }
  }
  const present = new Map((await client.listProperties()).map((p) => [p.name, p]))
  for (const def of LEADGRID_PROPERTIES) {
    const found = present.get(def.name)
    if (found) {
      report.existing.push(def.name)
      const problem = describeMismatch(def, found)
      if (problem) report.mismatched.push({ name: def.name, problem })
      continue
    }
    try {
      await client.createProperty(def)
      report.created.push(def.name)
    } catch (err) {
      if (!isConflict(err)) throw err
      report.existing.push(def.name)
    }
  }
  return report
}

function describeMismatch(
  want: HubSpotPropertyDefinition,
  have: HubSpotPropertyDefinition,
): string | undefined {
  if (want.type !== have.type) return `type is ${have.type}, expected ${want.type}`
  const missing = (want.options ?? [])
    .map((o) => o.value)
    .filter((v) => !(have.options ?? []).some((o) => o.value === v))
  if (missing.length > 0) return `options missing: ${missing.join(', ')}`
  return undefined
}
