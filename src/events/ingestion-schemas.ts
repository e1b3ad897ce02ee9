/**
 * What producers send: contact references, contact upserts and events, validated with zod so a
 * bad item is named precisely (`items[3].occurredAt: …`) and nothing of its batch is stored.
 */
import { z } from 'zod'
import { type ContactIdentity, normalizeEmail } from '../domain/contact.js'
import type { CrmProviderName } from '../domain/crm.js'
import { EVENT_TYPES, validateEventAttributes } from '../domain/lead-event.js'

const id = z.string().trim().min(1).max(200)

export const contactRefSchema = z
  .object({
    email: z.email().max(320).optional(),
    hubspotId: id.optional(),
    pipedriveId: id.optional(),
    externalId: id.optional(),
    anonymousId: id.optional(),
  })
  .strict()
  .refine((r) => r.email || r.hubspotId || r.pipedriveId || r.externalId || r.anonymousId, {
    message: 'a contact needs at least one of email, hubspotId, pipedriveId, externalId, anonymousId',
  })

export type ContactRef = z.infer<typeof contactRefSchema>

const propertyValue = z.union([z.string().max(4096), z.number().finite(), z.boolean(), z.null()])
const propertyKey = z
  .string()
  .regex(/^[A-Za-z][\w.:-]{0,127}$/, 'property names are letters, digits, _ . : - (at most 128)')

/** An ISO-8601 instant with its offset, within years 1970–9999 (what a lead event can be). */
export const isoInstant = z.iso
  .datetime({ offset: true })
  .refine((v) => {
    const t = Date.parse(v)
    return t >= 0 && t < Date.UTC(10000, 0, 1)
  }, 'must be between 1970 and 9999')
  .transform((v) => new Date(v).toISOString())

export const contactUpsertSchema = z
  .object({
    contact: contactRefSchema,
    properties: z.record(propertyKey, propertyValue).optional(),
    createdAt: isoInstant.optional(),
  })
  .strict()
  .refine((c) => Object.keys(c.properties ?? {}).length <= 200, { message: 'at most 200 properties' })

export type ContactUpsert = z.infer<typeof contactUpsertSchema>

export const eventInputSchema = z
  .object({
    id: id.optional(),
    contact: contactRefSchema,
    type: z.enum(EVENT_TYPES, {
      error: (i) =>
        `unknown event type ${JSON.stringify(i.input)}; expected one of ${EVENT_TYPES.join(', ')}`,
    }),
    occurredAt: isoInstant,
    attributes: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .transform((e, ctx) => {
    const checked = validateEventAttributes(e.type, e.attributes ?? {})
    if (!checked.ok) {
      for (const issue of checked.issues) ctx.addIssue({ code: 'custom', message: issue })
      return z.NEVER
    }
    return { ...e, attributes: checked.value }
  })

export type EventInput = z.output<typeof eventInputSchema>

export const MAX_BATCH = 1000

/**
 * How far ahead of our clock a producer's date may be: clocks drift by seconds or minutes, but an
 * event dated 2099 would silently start counting in 73 years. Same tolerance as the
 * tracking snippet's (src/tracking/collect-schema.ts).
 */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000

/**
 * The items of a validated batch dated more than MAX_FUTURE_SKEW_MS after `now`, as batch errors
 * (index + path + message). `dateOf` names the item's date field and reads it.
 */
export function futureDateErrors<T>(
  items: readonly T[],
  now: Date,
  field: string,
  dateOf: (item: T) => string | undefined,
): { index: number; path: string; message: string }[] {
  const limit = now.getTime() + MAX_FUTURE_SKEW_MS
  const errors: { index: number; path: string; message: string }[] = []
  items.forEach((item, index) => {
    const at = dateOf(item)
    if (at !== undefined && Date.parse(at) > limit)
      errors.push({
        index,
        path: field,
        message: `${at} is in the future; dates may be at most 5 minutes ahead of the server's clock (${now.toISOString()})`,
      })
  })
  return errors.slice(0, 100)
}

/** Parses a batch; on any bad item returns every item's issues (index + path + message). */
export function parseBatch<T extends z.ZodType>(
  schema: T,
  items: unknown,
):
  | { ok: true; items: z.output<T>[] }
  | { ok: false; errors: { index: number | null; path: string; message: string }[] } {
  if (!Array.isArray(items))
    return { ok: false, errors: [{ index: null, path: '', message: 'expected an array of items' }] }
  if (items.length === 0)
    return { ok: false, errors: [{ index: null, path: '', message: 'the batch is empty' }] }
  if (items.length > MAX_BATCH)
    return {
      ok: false,
      errors: [
        { index: null, path: '', message: `at most ${MAX_BATCH} items per batch, got ${items.length}` },
      ],
    }
  const out: z.output<T>[] = []
  const errors: { index: number; path: string; message: string }[] = []
  items.forEach((item, index) => {
    const parsed = schema.safeParse(item)
    if (parsed.success) out.push(parsed.data)
    else
      for (const i of parsed.error.issues) errors.push({ index, path: i.path.join('.'), message: i.message })
  })
  return errors.length > 0 ? { ok: false, errors: errors.slice(0, 100) } : { ok: true, items: out }
}

/** The identities a reference names, in a fixed order (the first is the dedupe hash's anchor). */
export function identitiesOf(ref: ContactRef): ContactIdentity[] {
  const out: ContactIdentity[] = []
  if (ref.email) out.push({ kind: 'email', value: normalizeEmail(ref.email) })
  if (ref.hubspotId) out.push({ kind: 'hubspot', value: ref.hubspotId })
  if (ref.pipedriveId) out.push({ kind: 'pipedrive', value: ref.pipedriveId })
  if (ref.externalId) out.push({ kind: 'external', value: ref.externalId })
  if (ref.anonymousId) out.push({ kind: 'anonymous', value: ref.anonymousId })
  return out
}

/** The contact-reference field that carries a CRM's record id, by the CRM's identity kind. */
const CRM_ID_FIELDS = {
  hubspot: 'hubspotId',
  pipedrive: 'pipedriveId',
} as const satisfies Record<CrmProviderName, keyof ContactRef>

/** The record id a reference names in the CRM whose identity kind is `kind` (undefined: none). */
export function crmIdOf(ref: ContactRef, kind: CrmProviderName): string | undefined {
  return ref[CRM_ID_FIELDS[kind]]
}

/** A reference to the person whose record id is `crmId` in the CRM of identity kind `kind`. */
export function contactRefOfCrmId(kind: CrmProviderName, crmId: string): ContactRef {
  return { [CRM_ID_FIELDS[kind]]: crmId }
}
