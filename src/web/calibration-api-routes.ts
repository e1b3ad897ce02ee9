/**
 * /app/api/calibration/… — the settings page's Calibration tab: backtest of the published grid or
 * of the unsaved draft, the suggestion from the workspace's outcomes, the challenger (try the draft,
 * compare, promote, stop), the KPIs per version and the review reminder. Session cookie + CSRF as
 * every /app/api route; changes are for admins. The services are the API's (src/calibration).
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import { BadRequest, NotFound } from '../errors.js'
import { type GridService, gridView } from '../grids/grid-service.js'
import type { PublishApprovalService } from '../grids/publish-approval-service.js'
import { calibrationServices, parseOrThrow, periodOf } from '../routes/calibration-routes.js'
import { parseGrid } from '../scoring/index.js'
import { guardAppApi, requireAdmin, sessionOf } from '../sessions/app-session.js'

const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v))
const backtestBody = z
  .object({ definition: z.unknown().optional(), from: instant.optional(), to: instant.optional() })
  .strict()
const definitionBody = z.object({ definition: z.unknown() }).strict()
const reviewBody = z.object({ note: z.string().max(1000).optional() }).strict()

function validGrid(definition: unknown) {
  const parsed = parseGrid(definition)
  if (!parsed.ok)
    throw new BadRequest(
      'The draft is not valid: fix it in the Grid tab first',
      parsed.issues,
      'invalid_grid',
    )
  return parsed.grid
}

export function calibrationApiRoutes(
  deps: Pick<AppDeps, 'db' | 'clock' | 'queue' | 'compiledGrids'>,
  services: { grids: GridService; approvals: PublishApprovalService },
) {
  const { backtests, suggestions, challengers, kpis } = calibrationServices(deps)
  return async function register(api: FastifyInstance) {
    guardAppApi(api)

    /** Backtest of the draft (when given) or the published grid over the last year by default. */
    api.post('/calibration/backtest', async (request) => {
      const { workspaceId } = sessionOf(request)
      const b = parseOrThrow(backtestBody, request.body, '{"definition"?, "from"?, "to"?}')
      const period = periodOf(deps.clock.now(), 365, b.from, b.to)
      if (b.definition !== undefined)
        return backtests.backtestDefinition(workspaceId, validGrid(b.definition), period.from, period.to)
      const published = await getPublishedGrid(deps.db, workspaceId)
      if (!published) throw new NotFound('No published grid yet')
      return backtests.backtest(workspaceId, published.id, period.from, period.to)
    })

    api.post('/calibration/suggest', async (request) => {
      const { workspaceId } = sessionOf(request)
      const published = await getPublishedGrid(deps.db, workspaceId)
      if (!published) throw new NotFound('No published grid yet')
      return suggestions.suggest(workspaceId, published.id, periodOf(deps.clock.now(), 730))
    })

    api.get('/calibration/kpis', async (request) => {
      const { workspaceId } = sessionOf(request)
      const period = periodOf(deps.clock.now(), 365)
      return kpis.kpis(workspaceId, period.from, period.to)
    })

    api.post('/calibration/review', async (request) => {
      const s = requireAdmin(request)
      const b = parseOrThrow(reviewBody, request.body, '{"note"?: "…"}')
      return { review: await kpis.markReviewed(s.workspaceId, s.actor, b.note) }
    })

    api.get('/calibration/challenger', async (request) => challengers.compare(sessionOf(request).workspaceId))

    /** Try the page's draft as the challenger: stored as a draft version, then scored in shadow. */
    api.post('/calibration/challenger', async (request, reply) => {
      const s = requireAdmin(request)
      const b = parseOrThrow(definitionBody, request.body, '{"definition": {grid}}')
      validGrid(b.definition)
      const draft = await services.grids.createDraft(s.workspaceId, b.definition, 'Challenger')
      return reply.status(201).send(await challengers.start(s.workspaceId, draft.id, s.actor))
    })

    api.post('/calibration/challenger/stop', async (request) => {
      const s = requireAdmin(request)
      await challengers.stop(s.workspaceId, s.actor)
      return { stopped: true }
    })

    /** Promote: publish now, or — two-person rule — ask another admin (202, as a publish does). */
    api.post('/calibration/challenger/promote', async (request, reply) => {
      const s = requireAdmin(request)
      if (await services.approvals.required(s.workspaceId)) {
        const { row } = await challengers.current(s.workspaceId)
        return reply.status(202).send({
          approvalRequired: true,
          request: await services.approvals.request(
            s.workspaceId,
            s.actor,
            row.definition,
            `Challenger version ${row.version} promoted`,
          ),
        })
      }
      const { grid, changes } = await challengers.promote(s.workspaceId, s.actor)
      return reply.status(201).send({ grid: gridView(grid), changes })
    })
  }
}
