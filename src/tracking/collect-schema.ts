/**
 * What a browser may send to POST /t/collect, and how it becomes Leadgrid events.
 *
 * The public key is in every page, so anything a browser says is a claim: only the event types a
 * page can witness are accepted, every event needs a client id (a retry is stored once), and the
 * browser's clock is corrected and bounded instead of trusted (see `resolveOccurredAt`).
 */
import { z } from 'zod'
import { type ContactUpsert, type EventInput, eventInputSchema } from '../events/ingestion-schemas.js'

export const BROWSER_EVENT_TYPES = ['page.viewed', 'form.submitted', 'asset.downloaded', 'custom'] as const
export const MAX_EVENTS_PER_REQUEST = 20
/** How far after its receipt an event may claim to have happened (then it is set to the receipt). */
export const FUTURE_TOLERANCE_MS = 5 * 60_000
/** How old an event may be. The snippet sends at once and retries for under a minute. */
export const MAX_EVENT_AGE_MS = 24 * 60 * 60_000

const token = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'expected 8 to 64 letters, digits, "_" or "-"')
const email = z.email('not a valid email address').max(320)
const instant = z.iso.datetime({ offset: true, message: 'expected an ISO-8601 date-time with a time zone' })

const browserEventSchema = z
  .object({
    id: token,
    type: z.enum(BROWSER_EVENT_TYPES, {
      error: (i) =>
        `${JSON.stringify(i.input)} is not an event a web page may send; expected one of ${BROWSER_EVENT_TYPES.join(', ')}`,
    }),
    occurredAt: instant.optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    /** The visitor's email, when the event identifies them (a form with an email field). */
    email: email.optional(),
  })
  .strict()

export const collectBodySchema = z
  .object({
    key: z.string().min(1).max(200),
    visitorId: token,
    /** The browser's clock when it sent the request: corrects its skew (see resolveOccurredAt). */
    sentAt: instant.optional(),
    identify: z.object({ email }).strict().optional(),
    events: z
      .array(browserEventSchema)
      .max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} events per request`),
  })
  .strict()
  .refine((b) => b.events.length > 0 || b.identify, {
    message: 'send at least one event (or an identify)',
    path: ['events'],
  })

export type CollectBody = z.output<typeof collectBodySchema>

export interface CollectIssue {
  path: string
  message: string
}

/** A collect request made ready for the ingestion service. */
export interface CollectBatch {
  visitorId: string
  identify: ContactUpsert | null
  events: EventInput[]
}

/**
 * When an event happened, from the browser's claims and our receipt time.
 *
 * Browser clocks are often wrong by minutes, sometimes by years. With `sentAt` the skew is measured
 * (receipt − sentAt) and removed, so an event keeps its place relative to the send. Without a time
 * the receipt is used. Then: more than FUTURE_TOLERANCE_MS ahead of the receipt is refused (the
 * client claims an event after its own send); ahead within the tolerance is set to the receipt
 * (the engine ignores events after "now", so it would not count yet); older than MAX_EVENT_AGE_MS
 * is refused (nothing the snippet sends is that old; an old event would rewrite history).
 */
export function resolveOccurredAt(
  occurredAt: string | undefined,
  sentAt: string | undefined,
  receivedAt: Date,
): { ok: true; at: string } | { ok: false; message: string } {
  const received = receivedAt.getTime()
  if (!occurredAt) return { ok: true, at: receivedAt.toISOString() }
  const skew = sentAt ? received - Date.parse(sentAt) : 0
  const at = Date.parse(occurredAt) + skew
  if (at > received + FUTURE_TOLERANCE_MS) {
    return {
      ok: false,
      message: `is ${Math.round((at - received) / 60_000)} minutes after the request (more than 5 minutes ahead)`,
    }
  }
  if (at < received - MAX_EVENT_AGE_MS)
    return { ok: false, message: 'is more than 24 hours old; events are sent as they happen' }
  return { ok: true, at: new Date(Math.min(at, received)).toISOString() }
}

/** Tracking event ids are namespaced by visitor: two visitors' "1" are two events. */
export function trackingEventId(visitorId: string, clientId: string): string {
  return `t:${visitorId}:${clientId}`
}

/** Validates a collect body and maps it to events; every problem comes back with its path. */
export function parseCollectBody(
  body: unknown,
  receivedAt: Date,
): { ok: true; key: string; batch: CollectBatch } | { ok: false; issues: CollectIssue[] } {
  const parsed = collectBodySchema.safeParse(body)
  if (!parsed.success)
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message })),
    }
  const { key, visitorId, sentAt, identify } = parsed.data
  const issues: CollectIssue[] = []
  const events: EventInput[] = []
  parsed.data.events.forEach((e, index) => {
    const when = resolveOccurredAt(e.occurredAt, sentAt, receivedAt)
    if (!when.ok) {
      issues.push({ path: `events[${index}].occurredAt`, message: when.message })
      return
    }
    // The same checks as the API's events (attributes per type), so both routes store one shape.
    const checked = eventInputSchema.safeParse({
      id: trackingEventId(visitorId, e.id),
      contact: e.email ? { anonymousId: visitorId, email: e.email } : { anonymousId: visitorId },
      type: e.type,
      occurredAt: when.at,
      attributes: e.attributes ?? {},
    })
    if (checked.success) events.push(checked.data)
    else
      for (const i of checked.error.issues)
        issues.push({
          path: `events[${index}]${i.path.length ? `.${pathOf(i.path)}` : ''}`,
          message: i.message,
        })
  })
  if (issues.length > 0) return { ok: false, issues: issues.slice(0, 50) }
  return {
    ok: true,
    key,
    batch: {
      visitorId,
      identify: identify ? { contact: { anonymousId: visitorId, email: identify.email } } : null,
      events,
    },
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`
  return out
}
