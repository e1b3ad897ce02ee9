/**
 * `Authorization: Bearer <workspace API key>` for /api/v1. Sets `request.workspaceId`; every
 * query below takes that id, so one workspace can never name another's data.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Db } from '../db/database.js'
import { Unauthorized } from '../errors.js'
import { authenticateApiKey } from '../workspaces/workspace-service.js'
import type { AuthFailureLimiter } from './auth-failure-limiter.js'

declare module 'fastify' {
  interface FastifyRequest {
    workspaceId: string
  }
}

export function apiKeyAuth(db: Db, failures: AuthFailureLimiter) {
  return async function requireApiKey(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
    // A request without any key guesses nothing: a plain 401, not counted.
    if (!match)
      throw new Unauthorized(
        'Send your workspace API key as "Authorization: Bearer <key>"',
        'missing_api_key',
      )
    // Before the lookup: a blocked address cannot tell a right key from a wrong one.
    failures.check('api-key', request.ip, 'API keys')
    const workspaceId = await authenticateApiKey(db, match[1]!)
    if (!workspaceId) {
      failures.fail('api-key', request.ip)
      throw new Unauthorized('This API key is not valid (unknown or revoked)', 'invalid_api_key')
    }
    request.workspaceId = workspaceId
  }
}
