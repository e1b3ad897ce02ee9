/** /api/v1/grids: list, create a draft, read, publish, simulate. */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { BadRequest } from '../errors.js'
import { type GridService, gridView } from '../grids/grid-service.js'

const createBody = z.object({ definition: z.unknown(), note: z.string().max(1000).optional() }).strict()

export function gridRoutes(grids: GridService) {
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

    app.post<{ Params: { id: string } }>('/grids/:id/publish', action, async (request) =>
      gridView(await grids.publish(request.workspaceId, request.params.id)),
    )

    app.post<{ Params: { id: string } }>('/grids/:id/simulate', action, async (request) =>
      grids.simulate(request.workspaceId, request.params.id),
    )
  }
}
