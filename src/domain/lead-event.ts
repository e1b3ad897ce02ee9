/**
 * A lead event: one immutable engagement fact about a contact.
 * Every producer — the API, the tracking snippet, a CRM adapter — speaks this shape, so the
 * ingestion service and the scoring engine never learn where an event came from.
 */
import { z } from 'zod'

export const EVENT_TYPES = [
  'page.viewed',
  'form.submitted',
  'asset.downloaded',
  'email.delivered',
  'email.opened',
  'email.clicked',
  'webinar.registered',
  'webinar.attended',
  'meeting.booked',
  'meeting.held',
  'custom',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

/** `email.delivered` is context for streak rules, never activity. */
export const NON_ACTIVITY_EVENT_TYPES: ReadonlySet<EventType> = new Set(['email.delivered'])

export const ASSET_TYPES = ['whitepaper', 'ebook', 'report', 'guide', 'case-study', 'other'] as const
export const EMAIL_CATEGORIES = ['newsletter', 'nurture', 'sales', 'transactional'] as const

const text = (max = 2048) => z.string().max(max)
/** Enumerated attributes are read case-insensitively ("Newsletter", "WhitePaper") and stored lower-case. */
const looseEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase().replaceAll('_', '-') : v),
    z.enum(values),
  )
const attributeValue = z.union([z.string().max(2048), z.number(), z.boolean(), z.null()])
/** Free attributes beyond the documented ones are kept (a grid may test them), within limits. */
const extraAttributes = z.record(z.string().max(64), attributeValue)

const attributesByType = {
  'page.viewed': z.object({
    url: text(),
    title: text().optional(),
    referrer: text().optional(),
    sessionId: text(128).optional(),
  }),
  'form.submitted': z.object({
    formId: text(256).optional(),
    formName: text(512).optional(),
    url: text().optional(),
  }),
  'asset.downloaded': z.object({
    assetId: text(256).optional(),
    assetName: text(512).optional(),
    assetType: looseEnum(ASSET_TYPES).optional(),
  }),
  'email.delivered': z.object({
    campaignId: text(256),
    campaignName: text(512).optional(),
    category: looseEnum(EMAIL_CATEGORIES).optional(),
  }),
  'email.opened': z.object({
    campaignId: text(256),
    campaignName: text(512).optional(),
    category: looseEnum(EMAIL_CATEGORIES).optional(),
  }),
  'email.clicked': z.object({
    campaignId: text(256),
    campaignName: text(512).optional(),
    category: looseEnum(EMAIL_CATEGORIES).optional(),
    url: text().optional(),
  }),
  'webinar.registered': z.object({ eventId: text(256).optional(), eventName: text(512).optional() }),
  'webinar.attended': z.object({ eventId: text(256).optional(), eventName: text(512).optional() }),
  'meeting.booked': z.object({ meetingId: text(256).optional() }),
  'meeting.held': z.object({ meetingId: text(256).optional() }),
  custom: z.object({ name: text(256) }),
} satisfies Record<EventType, z.ZodObject>

export type EventAttributes = Record<string, string | number | boolean | null>

export interface LeadEvent {
  type: EventType
  /** ISO-8601 instant. */
  occurredAt: string
  attributes: EventAttributes
}

/**
 * Validates an event's attributes against its type: documented attributes must have the
 * documented shape, extra attributes are free scalars. Returns the issues as readable strings.
 */
export function validateEventAttributes(
  type: EventType,
  attributes: unknown,
): { ok: true; value: EventAttributes } | { ok: false; issues: string[] } {
  const documented = attributesByType[type].safeParse(attributes ?? {})
  if (!documented.success) {
    return {
      ok: false,
      issues: documented.error.issues.map((i) => `attributes.${i.path.join('.')}: ${i.message}`),
    }
  }
  const all = extraAttributes.safeParse(attributes ?? {})
  if (!all.success) {
    return { ok: false, issues: all.error.issues.map((i) => `attributes.${i.path.join('.')}: ${i.message}`) }
  }
  if (Object.keys(all.data).length > 50) return { ok: false, issues: ['attributes: at most 50 attributes'] }
  const normalized = Object.fromEntries(Object.entries(documented.data).filter(([, v]) => v !== undefined))
  return { ok: true, value: { ...all.data, ...(normalized as EventAttributes) } }
}
