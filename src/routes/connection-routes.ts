/**
 * Every provider's CRM connections under /api/v1 (the workspace API key is already checked):
 *  GET    /connections                    health of each connection (never a secret)
 *  PATCH  /connections/:id                the provider's own settings (its module's schema)
 *  DELETE /connections/:id                disconnect (the CRM's uninstall first, where it has one)
 *  POST   /connections/:id/retry-parked   parked write-backs back to pending, a flush queued
 * A connection of another workspace is a 404, like one that does not exist.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { BadRequest } from '../errors.js'

const idParams = z.object({ id: z.uuid() })

export function connectionRoutes(deps: Pick<AppDeps, 'crm'>) {
  const { connections } = deps.crm
  return async function register(api: FastifyInstance): Promise<void> {
    api.get('/connections', async (request) => ({
      connections: await connections.health(request.workspaceId),
    }))

    api.patch('/connections/:id', async (request) => {
      const { id } = idParams.parse(request.params)
      const connection = await connections.byId(request.workspaceId, id)
      // The settings a client may change are the provider's (its module's strict schema).
      const parsed = deps.crm.partsOf(connection.provider).settingsSchema.safeParse(request.body ?? {})
      if (!parsed.success) {
        throw new BadRequest(
          `Not a setting of a ${connection.provider} connection`,
          parsed.error.issues,
          'invalid_settings',
        )
      }
      return { settings: await connections.updateSettings(request.workspaceId, id, parsed.data, 'api') }
    })

    api.delete('/connections/:id', async (request, reply) => {
      const { id } = idParams.parse(request.params)
      await connections.disconnect(request.workspaceId, id, 'api')
      return reply.status(204).send()
    })

    api.post('/connections/:id/retry-parked', async (request) => {
      const { id } = idParams.parse(request.params)
      return { retried: await connections.retryParked(request.workspaceId, id, 'api') }
    })
  }
}
