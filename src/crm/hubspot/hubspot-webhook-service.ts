/**
 * HubSpot webhook batches in (signature already verified by the route): one batch may carry several
 * portals' events, so they are routed to each portal's connection and stored through the neutral
 * delivery service (../delivery-service.ts: durable before the 200, retries stored once). What the
 * events mean is worked out later by the HubSpot provider's `interpretDeliveries`.
 */
import type { Logger } from 'pino'
import type { ConnectionRow } from '../../db/schema.js'
import { jsonValueDepth } from '../../http/json-body.js'
import type { DeliveryService } from '../delivery-service.js'
import { DOCUMENTED_WEBHOOK_FIELDS, type HubSpotWebhookEvent, webhookDedupeKey } from './webhooks.js'

/** Unknown fields nested deeper than this are not stored (HubSpot's own fields are flat). */
export const MAX_UNKNOWN_FIELD_DEPTH = 8
const DOCUMENTED_FIELDS: ReadonlySet<string> = new Set(DOCUMENTED_WEBHOOK_FIELDS)

/**
 * The delivery as stored. Unknown fields are kept (a later version may read them) unless they nest
 * deeper than MAX_UNKNOWN_FIELD_DEPTH: such a field is dropped, so a field HubSpot adds tomorrow can
 * never make JSON.stringify or Postgres overflow and sink the batch (issue 6). The documented
 * fields are validated (flat) and always kept.
 */
export function storableEvent(e: HubSpotWebhookEvent): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(e).filter(
      ([k, v]) =>
        DOCUMENTED_FIELDS.has(k) || jsonValueDepth(v, MAX_UNKNOWN_FIELD_DEPTH) <= MAX_UNKNOWN_FIELD_DEPTH,
    ),
  )
}

export function storablePayload(e: HubSpotWebhookEvent): string {
  return JSON.stringify(storableEvent(e))
}

export interface HubSpotWebhookDeps {
  logger: Logger
  byPortal(portalId: string): Promise<ConnectionRow | undefined>
  deliveries: Pick<DeliveryService, 'receive'>
}

export function createHubSpotWebhookService(deps: HubSpotWebhookDeps) {
  /**
   * Stores a verified batch. Events of a portal without an active connection are logged and dropped
   * (HubSpot would otherwise retry them for a day). Returns what was stored and what was new.
   */
  async function receive(
    events: HubSpotWebhookEvent[],
  ): Promise<{ stored: number; duplicates: number; ignored: number }> {
    const byPortal = new Map<string, HubSpotWebhookEvent[]>()
    for (const e of events) {
      const key = String(e.portalId)
      byPortal.set(key, [...(byPortal.get(key) ?? []), e])
    }
    let stored = 0
    let duplicates = 0
    let ignored = 0
    for (const [portalId, portalEvents] of byPortal) {
      const connection = await deps.byPortal(portalId)
      if (connection?.status !== 'active') {
        deps.logger.warn(
          { portalId, events: portalEvents.length },
          'HubSpot webhook for a portal without an active connection; ignored',
        )
        ignored += portalEvents.length
        continue
      }
      const res = await deps.deliveries.receive(
        connection,
        portalEvents.map((e) => ({ key: webhookDedupeKey(e), payload: storableEvent(e) })),
      )
      stored += res.stored
      duplicates += res.duplicates
    }
    return { stored, duplicates, ignored }
  }

  return { receive }
}

export type HubSpotWebhookService = ReturnType<typeof createHubSpotWebhookService>
