/**
 * What Leadgrid needs from a CRM, in Leadgrid's words. Each provider folder (hubspot/, pipedrive/)
 * implements these; nothing outside a provider folder knows a provider's field names.
 */
import type { ConnectionRow } from '../db/schema.js'

export type CrmProviderName = 'hubspot' | 'pipedrive'

/** The CRM-visible part of a score (SPEC §6). */
export interface CrmScoreValues {
  score: number
  fit: number
  engagement: number
  band: 'cold' | 'warm' | 'hot'
  grade: string
  mql: boolean
  mqlSince: string | null
  reasons: string
  scoredAt: string
}

export type CrmPropertyValues = Record<string, string | number | null>

/** How a provider writes scores: property names and formats are the provider's business. */
export interface CrmWriteBackMapping {
  /** The provider's property values for a score (every property Leadgrid owns). */
  toCrmProperties(values: CrmScoreValues, connection: ConnectionRow): CrmPropertyValues
  /**
   * Properties that change on every computation (the "scored at" time): a write is not worth
   * sending for them alone, but they go along when anything else changed.
   */
  volatileProperties(connection: ConnectionRow): string[]
}
