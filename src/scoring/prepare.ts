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
import { DAY_MS, normalizeText, parseUrl, toValue } from './normalize.js'
import type { PreparedEvent } from './types.js'

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
  const fast = parseIsoFast(iso)
  if (!Number.isNaN(fast)) return fast
  const s = iso.trim()
  if (s.length > 10 && !ZONED.test(s)) return Date.parse(`${s}Z`)
  return Date.parse(s)
}

const digit = (s: string, i: number) => s.charCodeAt(i) - 48
const two = (s: string, i: number) => {
  const a = digit(s, i)
  const b = digit(s, i + 1)
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`, the shape every producer sends, parsed with integer
 * arithmetic (several times faster than `Date.parse`). NaN for anything else, which then goes to
 * the general parser.
 */
function parseIsoFast(s: string): number {
  const n = s.length
  if (
    n < 19 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  ) {
    return Number.NaN
  }
  const sep = s.charCodeAt(10)
  if (sep !== 84 && sep !== 116 && sep !== 32) return Number.NaN // T, t or space
  const y = two(s, 0) * 100 + two(s, 2)
  const m = two(s, 5)
  const d = two(s, 8)
  const hh = two(s, 11)
  const mm = two(s, 14)
  const ss = two(s, 17)
  if (
    y < 0 ||
    two(s, 0) < 0 ||
    m < 1 ||
    m > 12 ||
    d < 1 ||
    d > daysInMonth(y, m) ||
    hh < 0 ||
    hh > 23 ||
    mm < 0 ||
    mm > 59
  ) {
    return Number.NaN
  }
  if (ss < 0 || ss > 59) return Number.NaN
  let i = 19
  let ms = 0
  if (i < n && s.charCodeAt(i) === 46) {
    // Fraction: milliseconds from the first three digits, further digits ignored (truncated).
    let scale = 100
    i++
    const start = i
    while (i < n) {
      const c = digit(s, i)
      if (c < 0 || c > 9) break
      ms += c * scale
      scale /= 10
      i++
    }
    if (i === start) return Number.NaN
    ms = Math.floor(ms)
  }
  let offset = 0
  if (i === n)
    offset = 0 // no zone: UTC (see parseInstant)
  else if (i === n - 1 && (s.charCodeAt(i) === 90 || s.charCodeAt(i) === 122)) offset = 0
  else if (i === n - 6 && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45) && s.charCodeAt(i + 3) === 58) {
    const oh = two(s, i + 1)
    const om = two(s, i + 4)
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN
    offset = (s.charCodeAt(i) === 43 ? 1 : -1) * (oh * 60 + om) * 60_000
  } else return Number.NaN
  return daysFromCivil(y, m, d) * DAY_MS + ((hh * 60 + mm) * 60 + ss) * 1000 + ms - offset
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

/** Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date. */
function daysFromCivil(year: number, m: number, d: number): number {
  const y = m <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
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
  // Frozen, with its columns attached: `evaluate` trusts the order and scans the columns.
  Object.defineProperty(out, COLUMNS, { value: buildColumns(out) })
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

const LABEL_KEYS = ['assetName', 'formName', 'campaignName', 'eventName', 'title', 'name'] as const
const FALLBACK_KEYS = ['assetId', 'formId', 'campaignId', 'eventId', 'meetingId'] as const

/** A human name for an event, for evidence ("2 whitepapers: A, B"). */
function labelOf(type: string, source: Readonly<Record<string, unknown>>, path: string | null): string {
  for (const k of LABEL_KEYS) {
    const v = source[k]
    if (typeof v === 'string') {
      const trimmed = v.trim()
      if (trimmed !== '') return trimmed
    }
  }
  if (path) return path
  for (const k of FALLBACK_KEYS) {
    const v = source[k]
    if ((typeof v === 'string' && v.trim() !== '') || typeof v === 'number') return String(v).trim()
  }
  return type
}
