/**
 * Parses events once — instants, UTC days, URL paths, normalized attributes — so evaluation
 * (which may run many times over the same events: rescoring, simulation, backtests) never parses.
 */
import {
  EVENT_TYPES,
  type EventType,
  type LeadEvent,
  NON_ACTIVITY_EVENT_TYPES,
} from '../domain/lead-event.js'
import { DAY_MS, parseUrl, toValue } from './normalize.js'
import type { PreparedEvent, PreparedValue } from './types.js'

const TYPE_BITS: ReadonlyMap<string, number> = new Map(EVENT_TYPES.map((t, i) => [t, 1 << i]))

/** The bit mask matching any of `types`. */
export function typeMask(types: readonly string[]): number {
  let mask = 0
  for (const t of types) mask |= TYPE_BITS.get(t) ?? 0
  return mask
}

const ZONED = /(?:z|[+-]\d\d(?::?\d\d)?)$/i

/**
 * Epoch ms of an ISO instant. A date-time without a zone is read as UTC — never as the machine's
 * local time, which would make a score depend on where it is computed. NaN when unparseable.
 */
export function parseInstant(iso: string): number {
  const s = iso.trim()
  if (s.length > 10 && !ZONED.test(s)) return Date.parse(`${s}Z`)
  return Date.parse(s)
}

/**
 * Prepares and sorts events (oldest first; equal instants in a total order, so the input order
 * never shows). Events whose `occurredAt` cannot be parsed are dropped: they cannot be placed in
 * any window — the API and the offline command reject them before they get here.
 */
export function prepareEvents(events: readonly LeadEvent[]): PreparedEvent[] {
  const out: PreparedEvent[] = []
  for (const e of events) {
    const p = prepareEvent(e)
    if (p !== null) out.push(p)
  }
  out.sort(compareEvents)
  // Frozen and remembered: `evaluate` can then trust the order without re-checking it.
  Object.freeze(out)
  SORTED.add(out)
  return out
}

const SORTED = new WeakSet<readonly PreparedEvent[]>()

/** True when `events` is in `compareEvents` order (what `evaluate` relies on). */
export function isSorted(events: readonly PreparedEvent[]): boolean {
  if (SORTED.has(events)) return true
  for (let i = 1; i < events.length; i++) {
    const a = events[i - 1]!
    const b = events[i]!
    if (a.t > b.t || (a.t === b.t && compareEvents(a, b) > 0)) return false
  }
  return true
}

export function prepareEvent(e: LeadEvent): PreparedEvent | null {
  const t = parseInstant(e.occurredAt)
  if (!Number.isFinite(t)) return null
  const attrs: Record<string, PreparedValue> = {}
  const source = e.attributes ?? {}
  for (const key in source) {
    const v = toValue(source[key])
    if (v !== undefined) attrs[key] = v
  }
  let segments: PreparedValue[] = NO_SEGMENTS
  const url = source['url']
  if (typeof url === 'string' && url.trim() !== '') {
    const parsed = parseUrl(url)
    const path = toValue(parsed.path)
    if (path) attrs['url.path'] = path
    const host = parsed.host === null ? undefined : toValue(parsed.host)
    if (host) attrs['url.host'] = host
    segments = []
    for (const s of parsed.segments) {
      const v = toValue(s)
      if (v) segments.push(v)
    }
  }
  // One literal with every field, so all prepared events share one hidden class.
  return {
    type: e.type,
    typeBit: TYPE_BITS.get(e.type) ?? 0,
    t,
    day: Math.floor(t / DAY_MS),
    activity: !NON_ACTIVITY_EVENT_TYPES.has(e.type),
    attrs,
    segments,
    assetKey: assetKeyOf(e.type, attrs),
    label: labelOf(e.type, source, attrs),
    source: e,
    fingerprint: undefined,
  }
}

const NO_SEGMENTS: PreparedValue[] = []

/** Prefixed by source, so a download id and a form id never collide. */
function assetKeyOf(type: EventType, attrs: Record<string, PreparedValue>): string | null {
  if (type === 'asset.downloaded') {
    const v = attrs['assetId'] ?? attrs['assetName']
    return v ? `asset:${v.norm}` : null
  }
  if (type === 'form.submitted') {
    const v = attrs['formId'] ?? attrs['formName']
    return v ? `form:${v.norm}` : null
  }
  return null
}

/** The event's identity: type, instant and attributes (keys sorted). Memoized on the event. */
export function fingerprintOf(e: PreparedEvent): string {
  if (e.fingerprint === undefined) {
    const attrs = e.source.attributes ?? {}
    const keys = Object.keys(attrs).sort()
    e.fingerprint = JSON.stringify([e.type, e.t, keys.map((k) => [k, attrs[k]])])
  }
  return e.fingerprint
}

export function compareEvents(a: PreparedEvent, b: PreparedEvent): number {
  if (a.t !== b.t) return a.t - b.t
  if (a.type !== b.type) return a.type < b.type ? -1 : 1
  const fa = fingerprintOf(a)
  const fb = fingerprintOf(b)
  return fa < fb ? -1 : fa > fb ? 1 : 0
}

const LABEL_KEYS = ['assetName', 'formName', 'campaignName', 'eventName', 'title', 'name'] as const
const FALLBACK_KEYS = ['url.path', 'assetId', 'formId', 'campaignId', 'eventId', 'meetingId'] as const

/** A human name for an event, for evidence ("2 whitepapers: A, B"). */
function labelOf(
  type: string,
  source: Readonly<Record<string, unknown>>,
  attrs: Record<string, PreparedValue>,
): string {
  for (const k of LABEL_KEYS) {
    const v = source[k]
    if (typeof v === 'string' && v.trim() !== '') return v.trim()
  }
  for (const k of FALLBACK_KEYS) {
    const v = attrs[k]
    if (v) return String(v.raw)
  }
  return type
}
