/**
 * The JSON panel's data, from Leadgrid's database only (no Pipedrive call, so the panel answers well
 * inside Pipedrive's 10 s): the company's connection (from the verified token's company, never the
 * query's), the person's contact, its score and its last changes.
 */
import { findConnectionByAccount } from '../../db/connection-repository.js'
import { contactIdOf } from '../../db/contact-repository.js'
import type { Db } from '../../db/database.js'
import { loadScores, scoreHistory, scoreSummary } from '../../db/score-repository.js'
import { scorePanel, unscoredPanel } from './panel.js'

/** The panel body, or null when Leadgrid is not installed (active) for this company. */
export async function readPanel(
  deps: { db: Db; config: { PUBLIC_URL: string } },
  companyId: string,
  personId: string,
  /** The settings page, signed in as this Pipedrive user (pipedrive-sign-in.ts). */
  settingsUrl: string | null = null,
) {
  const { db } = deps
  const connection = await findConnectionByAccount(db, 'pipedrive', companyId)
  if (connection?.status !== 'active') return null
  const workspaceId = connection.workspace_id
  const contactId = await contactIdOf(db, workspaceId, { kind: 'pipedrive', value: personId })
  const withSettings = <T extends object>(panel: T) =>
    settingsUrl ? { ...panel, settings: { url: settingsUrl } } : panel
  if (!contactId) return withSettings(unscoredPanel(personId))
  const [score] = (await loadScores(db, workspaceId, [contactId])).values()
  if (!score) return withSettings(unscoredPanel(personId))
  const history = await scoreHistory(db, workspaceId, contactId, 6)
  const { computedAt, ...summary } = scoreSummary(score)
  // History is newest first; each entry's "from" is the one after it.
  const changes = history.slice(0, 5).map((h, i) => ({
    at: h.computed_at.toISOString(),
    from: history[i + 1]?.total ?? null,
    to: h.total,
  }))
  return scorePanel(
    {
      personId,
      score: summary.score,
      fit: summary.fit,
      engagement: summary.engagement,
      band: summary.band as 'cold' | 'warm' | 'hot',
      grade: summary.grade,
      mql: summary.mql,
      mqlSince: summary.mqlSince,
      reasons: summary.reasons,
      scoredAt: computedAt,
      changes,
    },
    null,
    settingsUrl,
  )
}
