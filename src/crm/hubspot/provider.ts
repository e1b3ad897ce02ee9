/**
 * HubSpot behind Leadgrid's CRM contract (../types.ts): the provider-neutral services (connections,
 * outbox flush, install/backfill/reconcile, deliveries) call this and never a HubSpot API directly,
 * and this never touches the database — what it learns (company links, changed companies) goes back
 * to the services in the contract's shapes. `open()` is session.ts.
 *
 * - refreshTokens: at the v3 token endpoint (oauth.ts); a dead refresh token reads as revoked.
 * - prepareWrites: the optional lifecycle-stage move on MQL, from the stored profile (never backward).
 */
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import type { ContactProfile } from '../../domain/contact.js'
import type { CrmConnection, CrmProvider, CrmWriteItem } from '../types.js'
import { BATCH_LIMIT } from './client.js'
import { HubSpotAuthError } from './errors.js'
import { hubspotWriteBackMapping, lifecycleStageOnMql } from './mapping.js'
import type { HubSpotOAuth } from './oauth.js'
import type { HubSpotRateLimits } from './rate-limits.js'
import { openHubSpotSession } from './session.js'

export interface HubSpotProviderDeps {
  oauth: Pick<HubSpotOAuth, 'refresh'>
  limits: HubSpotRateLimits
  config: Pick<Config, 'HUBSPOT_API_BASE' | 'HUBSPOT_APP_ID'>
  clock: Clock
  logger: Logger
}

export interface HubSpotConnectionSettings {
  /** Move lifecyclestage forward to marketingqualifiedlead on MQL (never backward). */
  lifecycleOnMql?: boolean
}

/** With `lifecycleOnMql`, an MQL's write also moves its lifecycle stage forward (never backward). */
async function lifecycleOnMql(
  connection: CrmConnection,
  items: CrmWriteItem[],
  profiles: (contactIds: string[]) => Promise<Map<string, ContactProfile>>,
): Promise<CrmWriteItem[]> {
  if ((connection.settings as HubSpotConnectionSettings).lifecycleOnMql !== true) return items
  const mql = items.filter((i) => i.properties['leadgrid_mql_status'] === 'mql')
  if (mql.length === 0) return items
  const stored = await profiles(mql.map((i) => i.contactId))
  return items.map((i) => {
    if (i.properties['leadgrid_mql_status'] !== 'mql' || !stored.has(i.contactId)) return i
    const stage = stored.get(i.contactId)?.['hubspot.lifecyclestage']
    const next = lifecycleStageOnMql(true, typeof stage === 'string' ? stage : null)
    return next ? { ...i, properties: { ...i.properties, lifecyclestage: next } } : i
  })
}

export function createHubSpotProvider(deps: HubSpotProviderDeps): CrmProvider {
  const { oauth } = deps
  return {
    name: 'hubspot',
    identityKind: 'hubspot',
    writeBatchSize: BATCH_LIMIT,
    // Two batch calls in flight: each waits on HubSpot (or a busy network) for a while, and the
    // portal's limiter keeps the pair inside 110 calls / 10 s.
    writeConcurrency: 2,
    writeBack: hubspotWriteBackMapping,
    async refreshTokens(_connection, refreshToken) {
      const t = await oauth.refresh(refreshToken)
      // HubSpot may or may not rotate the refresh token; whichever it sends is kept. Scopes are
      // learnt at install (token introspection), not from a refresh.
      return { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: t.expiresAt }
    },
    isRevoked: (err) => err instanceof HubSpotAuthError && err.revoked,
    open: (connection, accessToken) => openHubSpotSession(deps, connection, accessToken),
    deliveryOrder: (payload) => Number((payload as { occurredAt?: unknown }).occurredAt ?? 0),
    prepareWrites: lifecycleOnMql,
  }
}
