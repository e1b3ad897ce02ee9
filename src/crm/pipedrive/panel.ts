/**
 * The person-page JSON panel (https://pipedrive.readme.io/docs/app-extensions-json-panels): Pipedrive
 * calls our endpoint on every page load with a JWT in `token`, signed with the app's JWT secret (the
 * client secret unless set otherwise), and renders what we answer: at most 10 objects × 20 fields.
 *
 * Only the token's claims are trusted. The query's own `companyId` / `userId` are whatever the caller
 * typed; a request naming another company in the query than in its token is refused.
 *
 * One person has one score, so the panel is a single-object panel: `panel-schema.json` (the schema
 * uploaded to Developer Hub) is `"type": "object"` and every answer is `{"data": {…}}`. Pipedrive
 * documents that data not matching the schema's type shows "Something went wrong…" instead of the
 * panel (https://pipedrive.readme.io/docs/json-panels-adding-a-panel, "Fields" and "Templates");
 * `test/integration/pipedrive-conformance.test.ts` checks every answer against the schema file.
 */

import { errors as joseErrors, jwtVerify } from 'jose'
import { findConnectionByAccount } from '../../db/connection-repository.js'
import { contactIdOf } from '../../db/contact-repository.js'
import type { Db } from '../../db/database.js'
import { loadScores, scoreHistory, scoreSummary } from '../../db/score-repository.js'
import type { CrmScoreValues } from '../types.js'

export const PANEL_MAX_OBJECTS = 10
export const PANEL_MAX_FIELDS = 20

export interface PanelIdentity {
  companyId: string
  userId: string
}

export class PanelAuthError extends Error {
  constructor(readonly reason: 'missing' | 'invalid' | 'expired' | 'mismatch') {
    super(`panel token ${reason}`)
    this.name = 'PanelAuthError'
  }
}

function idClaim(payload: Record<string, unknown>, ...names: string[]): string | null {
  for (const name of names) {
    const v = payload[name]
    if (typeof v === 'number' && Number.isInteger(v)) return String(v)
    if (typeof v === 'string' && /^\d+$/.test(v)) return v
  }
  return null
}

/** Verifies the panel JWT (HS256, expiry required) and returns the company and user it names. */
export async function verifyPanelToken(
  token: string | undefined,
  secret: string,
  now: Date,
  queryCompanyId?: string,
): Promise<PanelIdentity> {
  if (!token) throw new PanelAuthError('missing')
  let payload: Record<string, unknown>
  try {
    const verified = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      currentDate: now,
      requiredClaims: ['exp'],
      clockTolerance: 30,
    })
    payload = verified.payload as Record<string, unknown>
  } catch (err) {
    throw new PanelAuthError(err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid')
  }
  const companyId = idClaim(payload, 'companyId', 'company_id')
  const userId = idClaim(payload, 'userId', 'user_id')
  if (!companyId || !userId) throw new PanelAuthError('invalid')
  if (queryCompanyId !== undefined && queryCompanyId !== companyId) throw new PanelAuthError('mismatch')
  return { companyId, userId }
}

/** Pipedrive's panel error body: a status above 300 and `{error: {title, subtitle, action?}}`. */
export function panelError(title: string, subtitle: string, action?: { label: string; url: string }) {
  return { error: { title, subtitle, ...(action ? { action } : {}) } }
}

/** What the panel shows: the CRM-visible score of one person and its last changes. */
export interface PanelScore extends CrmScoreValues {
  personId: string
  changes: { at: string; from: number | null; to: number }[]
}

const BAND_COLOR = { hot: 'red', warm: 'yellow', cold: 'blue' } as const
/** Label texts are in sentence case (Pipedrive's panel guidelines). */
const BAND_LABEL = { hot: 'Hot', warm: 'Warm', cold: 'Cold' } as const

/** The panel for one person: its score, why, and its last changes, within Pipedrive's limits. */
export function scorePanel(s: PanelScore, contactViewUrl: string | null, settingsUrl: string | null) {
  const item: Record<string, unknown> = {
    id: Number(s.personId),
    header: `Lead score ${s.score}`,
    score: s.score,
    band: { label: BAND_LABEL[s.band], color: BAND_COLOR[s.band] },
    grade: s.grade,
    fit: s.fit,
    engagement: s.engagement,
    mql: { label: s.mql ? 'MQL' : 'Not MQL', color: s.mql ? 'green' : 'grey' },
    reasons: s.reasons.slice(0, 255),
    scored_at: s.scoredAt,
  }
  if (s.mql && s.mqlSince) item.mql_since = s.mqlSince
  const recent = s.changes.slice(0, PANEL_MAX_FIELDS - Object.keys(item).length - 1)
  if (recent.length > 0) {
    item.recent_changes = recent
      .map((c) => `${c.at.slice(0, 10)}: ${c.from ?? '–'} → ${c.to}`)
      .join(' · ')
      .slice(0, 255)
  }
  return {
    data: item,
    ...(settingsUrl ? { settings: { url: settingsUrl } } : {}),
    ...(contactViewUrl ? { external_link: { url: contactViewUrl, label: 'Open in Leadgrid' } } : {}),
  }
}

/** The panel when Leadgrid has not scored this person yet. */
export function unscoredPanel(personId: string) {
  return {
    data: {
      id: Number(personId),
      header: 'Not scored yet',
      status: { label: 'Waiting for the first score', color: 'grey' },
    },
  }
}

/**
 * The panel's data, from Leadgrid's database only (no Pipedrive call, so the panel answers well
 * inside Pipedrive's 10 s): the company's connection (from the verified token's company, never the
 * query's), the person's contact, its score and its last changes. Null when Leadgrid is not installed
 * (active) for this company.
 */
export async function readPanel(
  deps: { db: Db; config: { PUBLIC_URL: string } },
  companyId: string,
  personId: string,
  /** The settings page, signed in as this Pipedrive user (sign-in.ts). */
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
