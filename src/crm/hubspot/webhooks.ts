/**
 * HubSpot's webhooks in: reading a batch (signature already verified by the route, signature.ts),
 * and storing it for the portals it names.
 *
 * A batch is a JSON array of up to 100 events. Fields as documented at
 * https://developers.hubspot.com/docs/api/webhooks (payload section) and, for the generic
 * `object.*` form, https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/create-generic-webhook-subscriptions
 * Unknown fields are kept (HubSpot adds fields over time); unknown subscription types parse fine and
 * are logged by the processor, never refused (a refusal would only make HubSpot retry for 24 h).
 */
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { z } from 'zod'
import { jsonValueDepth } from '../../http/json-body.js'
import type { DeliveryService } from '../delivery-service.js'
import type { CrmConnection } from '../types.js'

export const MAX_WEBHOOK_BATCH = 100

const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)])

const eventShape = z.looseObject({
  /** "not guaranteed to be unique" (docs) — see webhookDedupeKey. */
  eventId: id,
  subscriptionId: id,
  portalId: id,
  appId: id,
  /** Epoch milliseconds of the change. */
  occurredAt: z.number().int().nonnegative(),
  subscriptionType: z.string().min(1).max(100),
  /** 0 on the first delivery, then 1, 2… on HubSpot's retries. */
  attemptNumber: z.number().int().nonnegative(),
  /** Absent from association changes, which name `fromObjectId` / `toObjectId` instead. */
  objectId: id.optional(),
  objectTypeId: z.string().max(20).optional(),
  propertyName: z.string().max(256).optional(),
  propertyValue: z.string().max(65_536).optional(),
  changeSource: z.string().max(100).optional(),
  sourceId: z.string().max(256).optional(),
  changeFlag: z.string().max(50).optional(),
  isSensitive: z.boolean().optional(),
  // Merges
  primaryObjectId: id.optional(),
  mergedObjectIds: z.array(id).max(1000).optional(),
  newObjectId: id.optional(),
  numberOfPropertiesMoved: z.number().int().optional(),
  // Association changes (e.g. CONTACT_TO_COMPANY)
  associationType: z.string().max(100).optional(),
  fromObjectId: id.optional(),
  toObjectId: id.optional(),
  associationRemoved: z.boolean().optional(),
  isPrimaryAssociation: z.boolean().optional(),
})

/** The fields HubSpot documents for a webhook event (anything else is an addition of theirs). */
export const DOCUMENTED_WEBHOOK_FIELDS: readonly string[] = Object.keys(eventShape.shape)

/** Every event names one object: `objectId`, or for an association change the `from` side. */
export const hubspotWebhookEventSchema = eventShape
  .refine((e) => e.objectId !== undefined || e.fromObjectId !== undefined, {
    message: 'expected objectId (or fromObjectId for an association change)',
    path: ['objectId'],
  })
  .transform((e) => ({ ...e, objectId: (e.objectId ?? e.fromObjectId) as number }))

export type HubSpotWebhookEvent = z.output<typeof hubspotWebhookEventSchema>

export const hubspotWebhookBatchSchema = z.array(hubspotWebhookEventSchema).min(1).max(MAX_WEBHOOK_BATCH)

export type ContactEventKind =
  | 'creation'
  | 'propertyChange'
  | 'merge'
  | 'deletion'
  | 'privacyDeletion'
  | 'restore'
  | 'associationChange'

const CONTACT_KINDS: ReadonlySet<string> = new Set([
  'creation',
  'propertyChange',
  'merge',
  'deletion',
  'privacyDeletion',
  'restore',
  'associationChange',
])

/**
 * The contact event a delivery describes, whether in the classic form (`contact.propertyChange`) or the
 * generic one (`object.propertyChange` with `objectTypeId` "0-1", HubSpot's id for contacts); null for
 * anything else (companies, conversations, types added later).
 */
export function contactEventKind(
  e: Pick<HubSpotWebhookEvent, 'subscriptionType' | 'objectTypeId'>,
): ContactEventKind | null {
  const [scope, action] = e.subscriptionType.split('.', 2)
  if (!action || !CONTACT_KINDS.has(action)) return null
  if (scope === 'contact') return action as ContactEventKind
  if (scope === 'object' && e.objectTypeId === '0-1') return action as ContactEventKind
  return null
}

/**
 * The company event a delivery describes: classic `company.propertyChange` (legacyCrmObjects) or the
 * generic `object.propertyChange` with `objectTypeId` "0-2", HubSpot's id for companies (what a
 * 2025.2 project's `crmObjects` subscription with `objectType: "company"` delivers); null otherwise.
 */
export function companyEventKind(
  e: Pick<HubSpotWebhookEvent, 'subscriptionType' | 'objectTypeId'>,
): 'propertyChange' | 'deletion' | null {
  const [scope, action] = e.subscriptionType.split('.', 2)
  if (action !== 'propertyChange' && action !== 'deletion') return null
  if (scope === 'company' || (scope === 'object' && e.objectTypeId === '0-2')) return action
  return null
}

/**
 * The contact whose companies changed, for a contact↔company association change (HubSpot sends
 * CONTACT_TO_COMPANY and COMPANY_TO_CONTACT, labelled variants included); null for other associations.
 */
export function contactOfCompanyAssociation(
  e: Pick<HubSpotWebhookEvent, 'associationType' | 'fromObjectId' | 'toObjectId' | 'objectId'>,
): string | null {
  const type = (e.associationType ?? '').toUpperCase()
  if (type.startsWith('CONTACT_TO_COMPANY')) return String(e.fromObjectId ?? e.objectId)
  if (type.startsWith('COMPANY_TO_CONTACT') && e.toObjectId !== undefined) return String(e.toObjectId)
  return null
}

/**
 * One key per change, the same on every retry. `eventId` alone is not unique (docs), so the key joins
 * what identifies the change: the account, the subscription, the type, the object, the event id, the
 * instant and, for property changes, the property and its new value. `attemptNumber` is left out on
 * purpose: it is what differs between a delivery and its retry.
 */
export function webhookDedupeKey(e: HubSpotWebhookEvent): string {
  const parts = [
    e.portalId,
    e.subscriptionId,
    e.subscriptionType,
    e.objectTypeId ?? '',
    e.objectId,
    e.eventId,
    e.occurredAt,
    e.propertyName ?? '',
    e.propertyValue ?? '',
  ]
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 32)
  return `hs:${e.portalId}:${e.objectId}:${e.eventId}:${digest}`
}

export type WebhookBatchParse =
  | { ok: true; events: HubSpotWebhookEvent[] }
  | { ok: false; issues: { path: string; message: string }[] }

export function parseWebhookBatch(body: unknown): WebhookBatchParse {
  const parsed = hubspotWebhookBatchSchema.safeParse(body)
  if (parsed.success) return { ok: true, events: parsed.data }
  return {
    ok: false,
    issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })),
  }
}

/*
 * Storing a batch: one batch may carry several portals' events, so they are routed to each portal's
 * connection and stored through the neutral delivery service (../delivery-service.ts: durable before
 * the 200, retries stored once). What the events mean is worked out later by the HubSpot session's
 * `interpretDeliveries`.
 */

/** Unknown fields nested deeper than this are not stored (HubSpot's own fields are flat). */
export const MAX_UNKNOWN_FIELD_DEPTH = 8
const DOCUMENTED_FIELDS: ReadonlySet<string> = new Set(DOCUMENTED_WEBHOOK_FIELDS)

/**
 * The delivery as stored. Unknown fields are kept (a later version may read them) unless they nest
 * deeper than MAX_UNKNOWN_FIELD_DEPTH: such a field is dropped, so a field HubSpot adds tomorrow can
 * never make JSON.stringify or Postgres overflow and sink the batch. The documented
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
  byPortal(portalId: string): Promise<CrmConnection | undefined>
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
