/**
 * The challenger's shadow scores: each page the rescore scores with the champion (the published
 * grid) is also scored with the workspace's challenger, if it has one, and kept in
 * `challenger_scores` only — never in `scores`, the history or the outbox, so the CRM and the
 * champion's record never see it. The composition root hands this to the rescore service as its
 * after-page step, so it runs inside the page's transaction and commits with it.
 */
import {
  getChallenger,
  loadShadowMql,
  type ShadowScore,
  saveShadowScores,
} from '../db/challenger-repository.js'
import { loadEventsForContacts } from '../db/event-repository.js'
import { getGrid } from '../db/grid-repository.js'
import { loadContactsToScore } from '../db/scoring-contact-repository.js'
import type { AfterPageScored } from '../rescoring/bulk-write-back.js'
import { type CompiledGridCache, scoreContacts } from '../scoring/index.js'

const DAY_MS = 86_400_000

/** The after-page step that shadow-scores with the challenger; one key read when there is none. */
export function createChallengerShadow(deps: { compiledGrids: CompiledGridCache }): AfterPageScored {
  return async (trx, { workspaceId, contactIds, now }) => {
    if (contactIds.length === 0) return
    const challenger = await getChallenger(trx, workspaceId)
    if (!challenger) return
    const row = await getGrid(trx, workspaceId, challenger.gridId)
    if (!row) return
    const { grid, compiled } = deps.compiledGrids.get(row.id, row.definition)
    const since = new Date(now.getTime() - grid.lookbackDays * DAY_MS)
    const [contacts, events, previous] = await Promise.all([
      loadContactsToScore(trx, workspaceId, contactIds),
      loadEventsForContacts(trx, workspaceId, contactIds, since),
      loadShadowMql(trx, workspaceId, row.id, contactIds),
    ])
    const results = scoreContacts(compiled, contacts, {
      events: (c) => events.get(c.id) ?? [],
      previous: (c) => previous.get(c.id),
      at: now.getTime(),
    })
    const scores: ShadowScore[] = results.map((result, i) => ({
      contactId: contacts[i]!.id,
      total: result.total,
      band: result.band,
      mql: result.mql,
      mqlSince: result.mqlSince,
      reasons: result.reasons,
    }))
    await saveShadowScores(trx, workspaceId, row.id, scores, now)
  }
}
