/** GET /api/v1/contacts/:key/score — the score, its reasons and contributions, and recent changes. */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { namedIdentitiesOf } from '../db/contact-identity-repository.js'
import { findContactByKey } from '../db/contact-repository.js'
import { loadScores, scoreHistory, scoreSummary } from '../db/score-repository.js'
import { NotFound } from '../errors.js'

export function scoreRoutes(deps: Pick<AppDeps, 'db'>) {
  return async function register(app: FastifyInstance) {
    app.get<{ Params: { key: string } }>('/contacts/:key/score', async (request) => {
      const { db } = deps
      const workspaceId = request.workspaceId
      // Fastify has already decoded the path parameter.
      const contactId = await findContactByKey(db, workspaceId, request.params.key)
      if (!contactId)
        throw new NotFound(`No contact with email or CRM id "${request.params.key}" in this workspace`)
      const [score] = [...(await loadScores(db, workspaceId, [contactId])).values()]
      const identities = await namedIdentitiesOf(db, workspaceId, contactId)
      const history = await scoreHistory(db, workspaceId, contactId, 50)
      return {
        contactId,
        identities,
        status: score ? 'scored' : 'pending',
        score: score
          ? { ...scoreSummary(score), contributions: score.contributions, gridId: score.grid_id }
          : null,
        history: history.map((h) => ({
          score: h.total,
          fit: h.fit,
          engagement: h.engagement,
          band: h.band,
          grade: h.grade,
          mql: h.mql,
          reasons: h.reasons,
          cause: h.cause,
          at: h.computed_at.toISOString(),
        })),
      }
    })
  }
}
