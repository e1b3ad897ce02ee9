/** POST /api/v1/grids/:id/backtest {from, to}: a grid version checked against the outcomes of a period. */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { createBacktestService } from '../calibration/backtest-service.js'
import { BadRequest, NotFound } from '../errors.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAX_PERIOD_MS = 5 * 366 * 86_400_000
const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v))
// The period's order is checked after both instants parsed: a zod refine would also run on a
// half-invalid body and read a string as a Date.
const body = z.object({ from: instant, to: instant }).strict()

function periodProblem(from: Date, to: Date): string | null {
  if (from >= to) return 'to: must be after from'
  if (to.getTime() - from.getTime() > MAX_PERIOD_MS) return 'to: a backtest covers at most 5 years'
  return null
}

export function calibrationRoutes(deps: Pick<AppDeps, 'db'>) {
  const backtests = createBacktestService(deps)
  return async function register(app: FastifyInstance) {
    app.post<{ Params: { id: string } }>('/grids/:id/backtest', async (request) => {
      if (!UUID.test(request.params.id)) throw new NotFound(`No grid ${request.params.id} in this workspace`)
      const parsed = body.safeParse(request.body ?? {})
      if (!parsed.success) {
        const i = parsed.error.issues[0]!
        throw new BadRequest(
          `${i.path.join('.') || 'body'}: ${i.path.length ? i.message : 'expected {"from": ISO instant, "to": ISO instant}'}`,
          undefined,
          'invalid_request',
        )
      }
      const problem = periodProblem(parsed.data.from, parsed.data.to)
      if (problem) throw new BadRequest(problem, undefined, 'invalid_request')
      return backtests.backtest(request.workspaceId, request.params.id, parsed.data.from, parsed.data.to)
    })
  }
}
