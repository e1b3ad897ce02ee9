/** /api/v1/grids: list, create a draft, read, publish, simulate. */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { BadRequest, Conflict } from '../errors.js'
import { gridView } from '../grids/grid-service.js'
import { gridSchema } from '../scoring/index.js'

const createBody = z.object({ definition: z.unknown(), note: z.string().max(1000).optional() }).strict()

export function gridRoutes(deps: Pick<AppDeps, 'grids' | 'preview' | 'approvals'>) {
  const { grids, preview, approvals } = deps
  return async function register(app: FastifyInstance) {
    app.get('/grids', async (request) => ({ grids: (await grids.list(request.workspaceId)).map(gridView) }))

    app.post('/grids', async (request, reply) => {
      const body = createBody.safeParse(request.body)
      if (!body.success)
        throw new BadRequest(
          'The body must be {"definition": {grid}, "note"?: "…"}',
          undefined,
          'invalid_request',
        )
      const row = await grids.createDraft(request.workspaceId, body.data.definition, body.data.note)
      return reply.status(201).send(gridView(row))
    })

    app.get<{ Params: { id: string } }>('/grids/:id', async (request) =>
      gridView(await grids.get(request.workspaceId, request.params.id)),
    )

    // Actions take no body; a client that sends `content-type: application/json` anyway (most HTTP
    // libraries do) with nothing after it is not refused as "empty JSON".
    const action = { config: { jsonBody: { emptyIsNoBody: true } } }

    // With the two-person rule on, an API key cannot publish: it names no person, so it cannot be
    // one of two different admins. The publish goes through the settings page and its approval.
    app.post<{ Params: { id: string } }>('/grids/:id/publish', action, async (request) => {
      if (await approvals.required(request.workspaceId))
        throw new Conflict(
          'This workspace requires a second admin’s approval to publish (two-person rule): publish from the settings page, where another admin approves it, or have an admin turn the rule off',
          'approval_required',
        )
      return gridView(
        (await grids.publish(request.workspaceId, request.params.id, { actor: 'API key' })).grid,
      )
    })

    // ?mode=full scores EVERY contact (keyset pages), as the settings page's preview does; the
    // default stays the quick sample of the 2,000 most recently updated contacts.
    app.post<{ Params: { id: string }; Querystring: { mode?: string } }>(
      '/grids/:id/simulate',
      action,
      async (request) => {
        const mode = request.query.mode ?? 'sample'
        if (mode !== 'sample' && mode !== 'full')
          throw new BadRequest('mode must be "sample" or "full"', undefined, 'invalid_request')
        if (mode === 'sample') return grids.simulate(request.workspaceId, request.params.id)
        const row = await grids.get(request.workspaceId, request.params.id)
        return {
          gridId: row.id,
          mode: 'full',
          ...(await preview.preview(request.workspaceId, gridSchema.parse(row.definition))),
        }
      },
    )
  }
}
