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
import { normalizeText, parseUrl, toValue } from './normalize.js'
import { DAY_MS, parseInstant } from './time.js'
import type { PreparedEvent } from './types.js'

const TYPE_BITS: ReadonlyMap<string, number> = new Map(EVENT_TYPES.map((t, i) => [t, 1 << i]))

/** The bit mask matching any of `types`. */
export function typeMask(types: readonly string[]): number {
  let mask = 0
  for (const t of types) mask |= TYPE_BITS.get(t) ?? 0
  return mask
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
  // Stores usually return events in time order already: check (linear) before sorting.
  if (!isSorted(out))
    out.sort(compareEvents)
    // Frozen, with its columns attached (a plain assignment: cheaper than defineProperty, and the
    // freeze makes it read-only): `evaluate` trusts the order and scans the columns.
  ;(out as { [COLUMNS]?: EventColumns })[COLUMNS] = buildColumns(out)
  return Object.freeze(out) as PreparedEvent[]
}

/** Bit set in `EventColumns.bits` for an activity event (any type but `email.delivered`); type bits are 0–10. */
export const ACTIVITY_BIT = 1 << 20

/**
 * The two fields every rule loop reads first, laid out contiguously: windows and type filters
 * then scan a few cache lines instead of dereferencing every event object (which dominates the
 * cost once a working set of contacts no longer fits in the CPU cache).
 */
export interface EventColumns {
  /** Plain arrays, not typed arrays: V8 keeps these unboxed (doubles, small integers) and on the
   * JS heap next to the events, where a typed array this size would sit in a separate malloc block. */
  readonly t: readonly number[]
  /** typeBit, plus ACTIVITY_BIT. */
  readonly bits: readonly number[]
}

const COLUMNS = Symbol('leadgrid.eventColumns')

function buildColumns(events: readonly PreparedEvent[]): EventColumns {
  const t: number[] = [0.5] // a double first, so the array starts (and stays) as unboxed doubles
  t.length = 0
  const bits: number[] = []
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    t.push(e.t)
    bits.push(e.typeBit | (e.activity ? ACTIVITY_BIT : 0))
  }
  return { t, bits }
}

/** The columns of a list returned by `prepareEvents` (frozen, so still sorted); else undefined. */
export function attachedColumns(events: readonly PreparedEvent[]): EventColumns | undefined {
  return (events as { [COLUMNS]?: EventColumns })[COLUMNS]
}

/** For a list not made by `prepareEvents` (e.g. two prepared lists concatenated): sort and index it. */
export function indexEvents(events: readonly PreparedEvent[]): {
  events: readonly PreparedEvent[]
  columns: EventColumns
} {
  const sorted = isSorted(events) ? events : [...events].sort(compareEvents)
  return { events: sorted, columns: buildColumns(sorted) }
}

/** True when `events` is in `compareEvents` order. */
export function isSorted(events: readonly PreparedEvent[]): boolean {
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
  const norms: Record<string, string> = {}
  const source = e.attributes ?? {}
  for (const key in source) {
    const v = toValue(source[key])
    if (v !== undefined) norms[key] = v.norm
  }
  let segments: string[] = NO_SEGMENTS
  let path: string | null = null
  const url = source['url']
  if (typeof url === 'string' && url.trim() !== '') {
    const parsed = parseUrl(url)
    path = parsed.path
    segments = []
    for (const segment of parsed.segments) {
      const norm = normalizeText(segment)
      if (norm !== '') segments.push(norm)
    }
  }
  // One literal with every field, so all prepared events share one hidden class.
  return {
    type: e.type,
    typeBit: TYPE_BITS.get(e.type) ?? 0,
    t,
    day: Math.floor(t / DAY_MS),
    activity: !NON_ACTIVITY_EVENT_TYPES.has(e.type),
    norms,
    segments,
    path,
    assetKey: assetKeyOf(e.type, norms),
    label: labelOf(e.type, source, path),
    source: e,
    fingerprint: undefined,
  }
}

const NO_SEGMENTS: string[] = []

/** Prefixed by source, so a download id and a form id never collide. */
function assetKeyOf(type: EventType, norms: Record<string, string>): string | null {
  if (type === 'asset.downloaded') {
    const v = norms['assetId'] ?? norms['assetName']
    return v === undefined ? null : `asset:${v}`
  }
  if (type === 'form.submitted') {
    const v = norms['formId'] ?? norms['formName']
    return v === undefined ? null : `form:${v}`
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

/** The attribute that names an event of each type, tried first (one lookup in the common case). */
const NAME_KEY: Readonly<Record<string, string>> = {
  'asset.downloaded': 'assetName',
  'form.submitted': 'formName',
  'email.delivered': 'campaignName',
  'email.opened': 'campaignName',
  'email.clicked': 'campaignName',
  'webinar.registered': 'eventName',
  'webinar.attended': 'eventName',
  'page.viewed': 'title',
  custom: 'name',
}
const LABEL_KEYS = ['assetName', 'formName', 'campaignName', 'eventName', 'title', 'name'] as const
const FALLBACK_KEYS = ['assetId', 'formId', 'campaignId', 'eventId', 'meetingId'] as const

function text(v: unknown): string | null {
  if (typeof v === 'number') return String(v)
  if (typeof v !== 'string') return null
  const trimmed = v.trim()
  return trimmed === '' ? null : trimmed
}

/**
 * A human name for an event, for evidence ("2 whitepapers: A, B"): its type's name attribute, any
 * other name attribute, the URL path, an id, else the type.
 */
function labelOf(type: string, source: Readonly<Record<string, unknown>>, path: string | null): string {
  const key = NAME_KEY[type]
  const named = key === undefined ? null : text(source[key])
  if (named !== null) return named
  for (const k of LABEL_KEYS) {
    const v = typeof source[k] === 'string' ? text(source[k]) : null
    if (v !== null) return v
  }
  if (path) return path
  for (const k of FALLBACK_KEYS) {
    const v = text(source[k])
    if (v !== null) return v
  }
  return type
}
