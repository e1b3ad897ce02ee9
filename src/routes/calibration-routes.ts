/**
 * Calibration API: backtest a grid version, suggest one from the workspace's outcomes,
 * run a challenger in shadow and promote it, the funnel KPIs per version and the review reminder.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { BadRequest, NotFound } from '../errors.js'
import { gridView } from '../grids/grid-service.js'
import { instant, isUuid, parseOrThrow, periodOf, periodProblem } from '../http/request-values.js'

/** An API key names no person: the audit log records the key's workspace access as the actor. */
const API_ACTOR = 'api key'
// The period's order is checked after both instants parsed: a zod refine would also run on a
// half-invalid body and read a string as a Date.
const body = z.object({ from: instant, to: instant }).strict()
const suggestBody = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    exclude: z.array(z.string().min(1).max(200)).max(200).optional(),
    mqlShare: z.number().gt(0).lt(1).optional(),
    precision: z.number().gt(0).lt(1).optional(),
  })
  .strict()
  .refine((b) => b.mqlShare === undefined || b.precision === undefined, {
    message: 'choose one goal: mqlShare (MQL volume) or precision, not both',
    path: ['precision'],
  })
const kpiQuery = z.object({ from: instant.optional(), to: instant.optional() }).strict()
const reviewBody = z.object({ note: z.string().max(1000).optional() }).strict()

const gridId = (id: string) => {
  if (!isUuid(id)) throw new NotFound(`No grid ${id} in this workspace`)
  return id
}

export function calibrationRoutes(deps: Pick<AppDeps, 'clock' | 'calibration'>) {
  const { backtests, suggestions, challengers, kpis } = deps.calibration
  return async function register(app: FastifyInstance) {
    app.post<{ Params: { id: string } }>('/grids/:id/backtest', async (request) => {
      const id = gridId(request.params.id)
      const b = parseOrThrow(body, request.body, '{"from": ISO instant, "to": ISO instant}')
      const problem = periodProblem(b.from, b.to)
      if (problem) throw new BadRequest(problem, undefined, 'invalid_request')
      return backtests.backtest(request.workspaceId, id, b.from, b.to)
    })

    app.post<{ Params: { id: string } }>('/grids/:id/suggest', async (request) => {
      const id = gridId(request.params.id)
      const b = parseOrThrow(
        suggestBody,
        request.body,
        '{"from"?, "to"?, "exclude"?: [property], "mqlShare"? | "precision"?}',
      )
      const period = periodOf(deps.clock.now(), 730, b.from, b.to)
      return suggestions.suggest(request.workspaceId, id, {
        ...period,
        exclude: b.exclude,
        // The threshold's goal: a share of leads as MQL, a precision, or (default) the best F1.
        goal:
          b.mqlShare !== undefined
            ? { kind: 'mqlShare', target: b.mqlShare }
            : b.precision !== undefined
              ? { kind: 'precision', target: b.precision }
              : undefined,
      })
    })

    app.post<{ Params: { id: string } }>('/grids/:id/challenger', async (request, reply) => {
      const id = gridId(request.params.id)
      return reply.status(201).send(await challengers.start(request.workspaceId, id, API_ACTOR))
    })
    app.get('/challenger', async (request) => challengers.compare(request.workspaceId))
    app.delete('/challenger', async (request, reply) => {
      await challengers.stop(request.workspaceId, API_ACTOR)
      return reply.status(204).send()
    })
    app.post('/challenger/promote', async (request, reply) => {
      const { grid, changes } = await challengers.promote(request.workspaceId, API_ACTOR)
      return reply.status(201).send({ grid: gridView(grid), changes })
    })

    app.get('/kpis', async (request) => {
      const q = parseOrThrow(kpiQuery, request.query, '?from=ISO&to=ISO')
      const period = periodOf(deps.clock.now(), 365, q.from, q.to)
      return kpis.kpis(request.workspaceId, period.from, period.to)
    })
    app.get('/review', async (request) => ({ review: await kpis.reviewStatus(request.workspaceId) }))
    app.post('/review', async (request) => {
      const b = parseOrThrow(reviewBody, request.body, '{"note"?: "…"}')
      return { review: await kpis.markReviewed(request.workspaceId, API_ACTOR, b.note) }
    })
  }
}
