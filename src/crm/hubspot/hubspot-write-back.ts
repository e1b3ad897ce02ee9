/**
 * HubSpot's side of the write-back outbox (src/crm/write-back-outbox.ts): SPEC §6 property values.
 */
import type { CrmWriteBackMapping } from '../types.js'
import { scoreToHubSpotProperties } from './mapping.js'

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
