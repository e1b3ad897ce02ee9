/**
 * Pipedrive's webhook v2 delivery: one JSON object per change, `{meta, data, previous}`
 * (https://pipedrive.readme.io/docs/guide-for-webhooks-v2, webhooks-v2-migration-guide), and the
 * per-connection Basic credentials a delivery must carry.
 * Ids in `meta` are strings; `data` is null on delete (then `previous` holds the last state);
 * `previous` holds only the changed fields on change. Unknown fields are kept and ignored: Pipedrive
 * adds fields over time, and a refusal only makes it retry (and, after ten, ban the webhook).
 */
import { z } from 'zod'
import { sameSecret } from '../../crypto/api-keys.js'
import type { SecretBox } from '../../crypto/secret-box.js'
import type { CrmConnection } from '../types.js'
import type { PipedriveConnectionSettings } from './provisioning.js'

const idString = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative().transform(String)])

export const pipedriveWebhookSchema = z.looseObject({
  meta: z.looseObject({
    action: z.string().min(1).max(40),
    entity: z.string().min(1).max(60),
    company_id: idString,
    user_id: idString.optional(),
    entity_id: idString,
    /** The event's id: the same on every retry, what deliveries are deduplicated on. */
    id: z.string().min(1).max(100),
    timestamp: z.union([z.string().max(40), z.number()]).optional(),
    version: z.string().max(10).optional(),
    change_source: z.string().max(40).nullish(),
    attempt: z.number().int().nonnegative().optional(),
    is_bulk_edit: z.boolean().optional(),
    merged_to_id: idString.nullish(),
    merged_from_id: idString.nullish(),
  }),
  data: z.record(z.string(), z.unknown()).nullable(),
  previous: z.record(z.string(), z.unknown()).nullable().optional(),
})

export type PipedriveWebhook = z.output<typeof pipedriveWebhookSchema>

export type WebhookParse =
  | { ok: true; delivery: PipedriveWebhook }
  | { ok: false; issues: { path: string; message: string }[] }

export function parsePipedriveWebhook(body: unknown): WebhookParse {
  const parsed = pipedriveWebhookSchema.safeParse(body)
  if (parsed.success) return { ok: true, delivery: parsed.data }
  return {
    ok: false,
    issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })),
  }
}

/** One key per change, the same on every retry (`meta.attempt` differs between them, `meta.id` not). */
export function pipedriveDedupeKey(w: PipedriveWebhook): string {
  return `pd:${w.meta.company_id}:${w.meta.id}`
}

/**
 * `meta.timestamp` is documented as a "10 character timestamp" while the examples show ISO strings:
 * both are read; anything else is null.
 */
export function webhookInstant(w: Pick<PipedriveWebhook, 'meta'>): string | null {
  const t = w.meta.timestamp
  if (t === undefined) return null
  const d =
    typeof t === 'number' || /^\d{9,13}$/.test(t)
      ? new Date(Number(t) * (String(t).length <= 10 ? 1000 : 1))
      : new Date(t)
  return Number.isNaN(d.getTime()) ? null : d.toISOString()
}

export type PipedriveChange =
  | { kind: 'person.upsert'; personId: string }
  | { kind: 'person.delete'; personId: string }
  | { kind: 'person.merged'; personId: string; mergedInto: string }
  | { kind: 'activity'; activityId: string }
  | { kind: 'deal'; dealId: string }
  | { kind: 'ignored'; why: string }

/**
 * What a delivery means to Leadgrid. A merge arrives as two events: a delete of the merged-away person
 * carrying `merged_to_id`, and a change of the survivor carrying `merged_from_id` (an ordinary upsert).
 */
export function classifyDelivery(w: PipedriveWebhook, ownFieldCodes: ReadonlySet<string>): PipedriveChange {
  const { action, entity, entity_id: id } = w.meta
  if (entity === 'person') {
    if (action === 'delete') {
      return w.meta.merged_to_id
        ? { kind: 'person.merged', personId: id, mergedInto: w.meta.merged_to_id }
        : { kind: 'person.delete', personId: id }
    }
    if (action === 'change' && isEchoOfOwnWrite(w, ownFieldCodes)) {
      return { kind: 'ignored', why: "Leadgrid's own field write" }
    }
    if (action === 'create' || action === 'change') return { kind: 'person.upsert', personId: id }
  }
  if (entity === 'activity' && (action === 'create' || action === 'change')) {
    return { kind: 'activity', activityId: id }
  }
  if (entity === 'deal' && action === 'change') return { kind: 'deal', dealId: id }
  return { kind: 'ignored', why: `${entity}.${action} is not used` }
}

/**
 * A person change whose only changed fields are Leadgrid's own custom fields (and the update time
 * Pipedrive bumps with them) is the echo of our own PATCH; rescoring it would loop.
 */
export function isEchoOfOwnWrite(w: PipedriveWebhook, ownFieldCodes: ReadonlySet<string>): boolean {
  const previous = w.previous
  if (!previous) return false
  const keys = Object.keys(previous).filter((k) => k !== 'update_time')
  if (keys.length === 0) return false
  for (const key of keys) {
    if (key !== 'custom_fields') return false
    const changed = previous.custom_fields
    if (!changed || typeof changed !== 'object') return false
    for (const code of Object.keys(changed)) if (!ownFieldCodes.has(code)) return false
  }
  return true
}

export interface WebhookCredentials {
  user: string
  password: string
}

function userAndPassword(plain: string): WebhookCredentials | null {
  const at = plain.indexOf(':')
  return at > 0 ? { user: plain.slice(0, at), password: plain.slice(at + 1) } : null
}

/** The webhook Basic credentials of a connection, unsealed, or null when none were registered. */
export function webhookCredentials(
  connection: Pick<CrmConnection, 'settings'>,
  secretBox: SecretBox,
): WebhookCredentials | null {
  const sealed = (connection.settings as PipedriveConnectionSettings).webhookAuthEnc
  if (typeof sealed !== 'string') return null
  return userAndPassword(secretBox.decrypt(sealed))
}

/** Whether a delivery's `Authorization: Basic …` header carries the connection's credentials. */
export function webhookAuthorized(expected: WebhookCredentials | null, header: string | undefined): boolean {
  const given = header?.startsWith('Basic ')
    ? userAndPassword(Buffer.from(header.slice(6).trim(), 'base64').toString('utf8'))
    : null
  if (!expected || !given) return false
  // Both compared, whatever the first gives: no early exit to time.
  return [sameSecret(given.user, expected.user), sameSecret(given.password, expected.password)].every(Boolean)
}
