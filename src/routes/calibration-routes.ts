/**
 * Calibration API (issue 10): backtest a grid version, suggest one from the workspace's outcomes,
 * run a challenger in shadow and promote it, the funnel KPIs per version and the review reminder.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { createBacktestService } from '../calibration/backtest-service.js'
import { createChallengerService } from '../calibration/challenger-service.js'
import { createKpiService } from '../calibration/kpi-service.js'
import { createSuggestService } from '../calibration/suggest-service.js'
import { BadRequest, NotFound } from '../errors.js'
import { createGridPublishingService } from '../grids/grid-publishing-service.js'
import { createGridService, gridView } from '../grids/grid-service.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DAY_MS = 86_400_000
const MAX_PERIOD_MS = 5 * 366 * DAY_MS
/** An API key names no person: the audit log records the key's workspace access as the actor. */
const API_ACTOR = 'api key'
const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v))
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

function periodProblem(from: Date, to: Date): string | null {
  if (from >= to) return 'to: must be after from'
  if (to.getTime() - from.getTime() > MAX_PERIOD_MS) return 'to: a period covers at most 5 years'
  return null
}

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, shape: string): T {
  const parsed = schema.safeParse(value ?? {})
  if (!parsed.success) {
    const i = parsed.error.issues[0]!
    throw new BadRequest(
      `${i.path.join('.') || 'body'}: ${i.path.length ? i.message : `expected ${shape}`}`,
      undefined,
      'invalid_request',
    )
  }
  return parsed.data
}

/** A period from optional instants, defaulting to the `days` before now; 400 when inverted or too long. */
export function periodOf(now: Date, days: number, from?: Date, to?: Date): { from: Date; to: Date } {
  const end = to ?? new Date(now.getTime() + 1)
  const start = from ?? new Date(end.getTime() - days * DAY_MS)
  const problem = periodProblem(start, end)
  if (problem) throw new BadRequest(problem, undefined, 'invalid_request')
  return { from: start, to: end }
}

const gridId = (id: string) => {
  if (!UUID.test(id)) throw new NotFound(`No grid ${id} in this workspace`)
  return id
}

export function calibrationServices(deps: Pick<AppDeps, 'db' | 'clock' | 'queue' | 'compiledGrids'>) {
  const grids = createGridService(deps)
  const publishing = createGridPublishingService({ db: deps.db, grids })
  const backtests = createBacktestService(deps)
  return {
    backtests,
    suggestions: createSuggestService(deps),
    challengers: createChallengerService({ ...deps, publishing, backtests }),
    kpis: createKpiService(deps),
  }
}

export function calibrationRoutes(deps: Pick<AppDeps, 'db' | 'clock' | 'queue' | 'compiledGrids'>) {
  const { backtests, suggestions, challengers, kpis } = calibrationServices(deps)
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
