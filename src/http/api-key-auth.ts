/**
 * `Authorization: Bearer <workspace API key>` for /api/v1. Sets `request.workspaceId`; every
 * query below takes that id, so one workspace can never name another's data.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Db } from '../db/database.js'
import { Unauthorized } from '../errors.js'
import { authenticateApiKey } from '../workspaces/workspace-service.js'

declare module 'fastify' {
  interface FastifyRequest {
    workspaceId: string
  }
}

export function apiKeyAuth(db: Db) {
  return async function requireApiKey(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
    if (!match)
      throw new Unauthorized(
        'Send your workspace API key as "Authorization: Bearer <key>"',
        'missing_api_key',
      )
    const workspaceId = await authenticateApiKey(db, match[1]!)
    if (!workspaceId)
      throw new Unauthorized('This API key is not valid (unknown or revoked)', 'invalid_api_key')
    request.workspaceId = workspaceId
  }
}
