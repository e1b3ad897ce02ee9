/**
 * Pipedrive behind Leadgrid's CRM contract (../types.ts): the provider-neutral services (connections,
 * outbox flush, install/backfill/reconcile, deliveries) call this and never a Pipedrive API directly.
 * What a connection's session does is in session.ts; tokens are refreshed and revoked through
 * oauth.ts.
 */
import type { Clock } from '../../clock.js'
import type { SecretBox } from '../../crypto/secret-box.js'
import type { CrmProvider, CrmTokenGrant } from '../types.js'
import { PipedriveApiError, PipedriveAuthError } from './errors.js'
import { pipedriveWriteBackMapping } from './mapping.js'
import type { PipedriveOAuth } from './oauth.js'
import type { PipedriveRateLimits } from './rate-limits.js'
import { openPipedriveSession } from './session.js'
import { parsePipedriveWebhook, webhookInstant } from './webhooks.js'

export interface PipedriveProviderDeps {
  oauth: PipedriveOAuth
  limits: PipedriveRateLimits
  secretBox: SecretBox
  clock: Clock
  publicUrl: string
}

export function createPipedriveProvider(deps: PipedriveProviderDeps): CrmProvider {
  const { oauth } = deps
  return {
    name: 'pipedrive',
    identityKind: 'pipedrive',
    // No batch endpoint: one PATCH per person, and one person per batch (session.ts).
    writeBatchSize: 1,
    writeBack: pipedriveWriteBackMapping,
    async refreshTokens(_connection, refreshToken): Promise<CrmTokenGrant> {
      const t = await oauth.refresh(refreshToken)
      return {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        expiresAt: t.expiresAt,
        apiBase: t.apiDomain,
        ...(t.scopes.length > 0 ? { scopes: t.scopes } : {}),
      }
    },
    isRevoked: (err) => err instanceof PipedriveAuthError && err.revoked,
    revokeRefreshToken: (refreshToken) => oauth.revoke(refreshToken),
    isBudgetSpent: (err) => err instanceof PipedriveApiError && err.dailyBudgetSpent,
    open: (connection, accessToken) => openPipedriveSession(deps, connection, accessToken),
    deliveryOrder(payload) {
      const parsed = parsePipedriveWebhook(payload)
      const at = parsed.ok ? webhookInstant(parsed.delivery) : null
      return at ? Date.parse(at) : 0
    },
  }
}
