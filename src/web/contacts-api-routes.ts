/**
 * The Contacts tab's JSON: search by email or name, and one contact's view — its profile, its
 * score with every contribution, how that score moved, and its events.
 */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { contactTimeline, getContact, searchContacts } from '../db/contact-view-repository.js'
import { loadScores, scoreHistory, scoreSummary } from '../db/score-repository.js'
import { NotFound } from '../errors.js'
import { isUuid } from '../http/request-values.js'
import { sessionOf } from '../sessions/app-session.js'

export function contactsApiRoutes(deps: Pick<AppDeps, 'db'>) {
  const { db } = deps
  return async function register(api: FastifyInstance) {
    api.get<{ Querystring: { q?: string } }>('/contacts', async (request) => {
      const q = typeof request.query.q === 'string' ? request.query.q.slice(0, 200) : ''
      return { contacts: await searchContacts(db, sessionOf(request).workspaceId, q) }
    })

    api.get<{ Params: { id: string } }>('/contacts/:id', async (request) => {
      const { workspaceId } = sessionOf(request)
      const id = request.params.id
      const contact = isUuid(id) ? await getContact(db, workspaceId, id) : undefined
      if (!contact) throw new NotFound(`No contact ${id} in this workspace`)
      const [score] = [...(await loadScores(db, workspaceId, [id])).values()]
      const [history, events] = await Promise.all([
        scoreHistory(db, workspaceId, id, 200),
        contactTimeline(db, workspaceId, id),
      ])
      return {
        contact: {
          id: contact.id,
          email: contact.email,
          name: contact.name,
          properties: contact.properties,
          firstSeenAt: contact.first_seen_at.toISOString(),
        },
        score: score ? { ...scoreSummary(score), contributions: score.contributions } : null,
        history: history
          .map((h) => ({
            score: h.total,
            band: h.band,
            mql: h.mql,
            cause: h.cause,
            at: h.computed_at.toISOString(),
          }))
          .reverse(),
        events: events.map((e) => ({
          type: e.type,
          at: e.occurred_at.toISOString(),
          attributes: e.attributes,
          source: e.source,
        })),
      }
    })
  }
}
