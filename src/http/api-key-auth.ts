/**
 * `Authorization: Bearer <workspace API key>` for /api/v1. Sets `request.workspaceId`; every
 * query below takes that id, so one workspace can never name another's data.
 *
 * A key found valid is remembered for a few seconds (by its hash, never the key itself): an
 * ingest batch is two statements (single-statement-ingest.ts), and the key lookup was a third,
 * on every request of a sender posting hundreds a second. The price: a key revoked in the
 * database keeps working for up to API_KEY_CACHE_MS in a process that used it just before.
 * Unknown and revoked keys are never remembered — each attempt is looked up and counted.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { hashSecret } from '../crypto/api-keys.js'
import type { Db } from '../db/database.js'
import { Unauthorized } from '../errors.js'
import { authenticateApiKey } from '../workspaces/workspace-service.js'
import type { AuthFailureLimiter } from './auth-failure-limiter.js'

declare module 'fastify' {
  interface FastifyRequest {
    workspaceId: string
  }
}

export const API_KEY_CACHE_MS = 5000
const MAX_REMEMBERED_KEYS = 1000

export function apiKeyAuth(db: Db, failures: AuthFailureLimiter, now: () => number = Date.now) {
  const remembered = new Map<string, { workspaceId: string; until: number }>()

  async function workspaceOfKey(key: string): Promise<string | null> {
    const hash = hashSecret(key)
    const hit = remembered.get(hash)
    if (hit && hit.until > now()) return hit.workspaceId
    remembered.delete(hash)
    const workspaceId = await authenticateApiKey(db, key)
    if (workspaceId) {
      // Map order is insertion order: the first entry is the oldest.
      if (remembered.size >= MAX_REMEMBERED_KEYS) remembered.delete(remembered.keys().next().value!)
      remembered.set(hash, { workspaceId, until: now() + API_KEY_CACHE_MS })
    }
    return workspaceId
  }

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
    const workspaceId = await workspaceOfKey(match[1]!)
    if (!workspaceId) {
      failures.fail('api-key', request.ip)
      throw new Unauthorized('This API key is not valid (unknown or revoked)', 'invalid_api_key')
    }
    request.workspaceId = workspaceId
  }
}
