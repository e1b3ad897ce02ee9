/**
 * The app card's data, from Leadgrid's database only (no CRM call): score, band, grade, MQL since,
 * top reasons and recent changes of one contact of one installed portal.
 */
import { findConnectionByAccount } from '../../db/connection-repository.js'
import { contactIdOf } from '../../db/contact-repository.js'
import type { Db } from '../../db/database.js'
import { loadScores, scoreHistory, scoreSummary } from '../../db/score-repository.js'
import { Forbidden } from '../../errors.js'

export interface CardAnswer {
  scored: boolean
  score?: number
  fit?: number
  engagement?: number
  band?: string
  grade?: string
  mql?: boolean
  mqlSince?: string | null
  reasons?: string
  scoredAt?: string
  topReasons: { label: string; points: number }[]
  recentChanges: { at: string; total: number; band: string; grade: string; mql: boolean; cause: string }[]
}

/** Contributions are the engine's; read defensively (label + points) so the card survives its changes. */
function topReasons(contributions: unknown): { label: string; points: number }[] {
  if (!Array.isArray(contributions)) return []
  return contributions
    .map((c) => {
      const o = (c ?? {}) as Record<string, unknown>
      const label =
        typeof o['label'] === 'string'
          ? o['label']
          : typeof o['ruleId'] === 'string'
            ? o['ruleId']
            : undefined
      const points = typeof o['points'] === 'number' ? o['points'] : undefined
      return label !== undefined && points !== undefined && points !== 0 ? { label, points } : undefined
    })
    .filter((x): x is { label: string; points: number } => x !== undefined)
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
    .slice(0, 5)
}

export function createHubSpotCardService(deps: { db: Db }) {
  const { db } = deps
  return {
    async cardFor(portalId: string, objectId: string): Promise<CardAnswer> {
      const connection = await findConnectionByAccount(db, 'hubspot', portalId)
      if (connection?.status !== 'active') {
        throw new Forbidden('Leadgrid is not installed in this HubSpot account', 'not_installed')
      }
      const workspaceId = connection.workspace_id
      const contactId = await contactIdOf(db, workspaceId, { kind: 'hubspot', value: objectId })
      if (!contactId) return { scored: false, topReasons: [], recentChanges: [] }
      const [score] = (await loadScores(db, workspaceId, [contactId])).values()
      if (!score) return { scored: false, topReasons: [], recentChanges: [] }
      const history = await scoreHistory(db, workspaceId, contactId, 5)
      const { computedAt, ...summary } = scoreSummary(score)
      return {
        scored: true,
        ...summary,
        scoredAt: computedAt,
        topReasons: topReasons(score.contributions),
        recentChanges: history.map((h) => ({
          at: h.computed_at.toISOString(),
          total: h.total,
          band: h.band,
          grade: h.grade,
          mql: h.mql,
          cause: h.cause,
        })),
      }
    },
  }
}
export type HubSpotCardService = ReturnType<typeof createHubSpotCardService>
