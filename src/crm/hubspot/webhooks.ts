/**
 * HubSpot's webhook batch: a JSON array of up to 100 events. Fields as documented at
 * https://developers.hubspot.com/docs/api/webhooks (payload section) and, for the generic
 * `object.*` form, https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/create-generic-webhook-subscriptions
 * Unknown fields are kept (HubSpot adds fields over time); unknown subscription types parse fine and
 * are logged by the processor, never refused (a refusal would only make HubSpot retry for 24 h).
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'

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

/** Every event names one object: `objectId`, or for an association change the `from` side. */
/** The fields HubSpot documents for a webhook event (anything else is an addition of theirs). */
export const DOCUMENTED_WEBHOOK_FIELDS: readonly string[] = Object.keys(eventShape.shape)

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
