/**
 * Evaluation of the event-based rule kinds over a time-sorted event list. Every loop walks the
 * events newest first from the newest one at or before `now`, and stops at the window's lower
 * bound, so the cost is proportional to the events in the window.
 *
 * Allocation: the working lists below are module-level scratch buffers, reset on every use. This
 * is safe because evaluation is synchronous and never re-entered, and it keeps the hot path free
 * of garbage; only a rule that fires allocates (its outcome and evidence, which are returned).
 */
import type { CompiledCounting, CompiledInactivity, CompiledStreak } from './compile.js'
import { PER_DAY, PER_DISTINCT } from './compile.js'
import { parseUrl } from './normalize.js'
import { ACTIVITY_BIT, fingerprintOf, typeMask } from './prepare.js'
import { DAY_MS, isoDay } from './time.js'
import type { PreparedEvent } from './types.js'

/** Evidence lists stay short: they are for a human reading a contact record. */
export const MAX_EVIDENCE = 10

export interface Scope {
  events: readonly PreparedEvent[]
  /** Columns of `events` (see prepare.ts): loops test these before touching an event object. */
  t: readonly number[]
  bits: readonly number[]
  /** Index of the newest event with t ≤ now; -1 when none. */
  hi: number
  /** Lookback lower bound (exclusive), ms. */
  lookLo: number
  now: number
}

export interface RuleOutcome {
  points: number
  count?: number
  evidence?: string[]
}

// Scratch lists with explicit counts: resetting a count is free, `array.length = 0` is not.
const units: PreparedEvent[] = []
let unitCount = 0
const keys: string[] = []
let keyCount = 0
const campaigns: string[] = []
const campaignEvents: PreparedEvent[] = []
let campaignCount = 0
const opened = new Uint8Array(64) // streak length ≤ 50 (schema)

function pushUnit(e: PreparedEvent): void {
  if (unitCount === units.length) units.push(e)
  else units[unitCount] = e
  unitCount++
}

// A linear scan is fastest for the few keys a contact usually has; past that, a set keeps a rule
// over hundreds of distinct pages linear.
const SCAN_LIMIT = 32
const keySet = new Set<string>()

/** Adds `key` unless present; false when it was already there. */
function addKey(key: string): boolean {
  if (keyCount >= SCAN_LIMIT) {
    if (keyCount === SCAN_LIMIT && keySet.size === 0) for (let k = 0; k < keyCount; k++) keySet.add(keys[k]!)
    if (keySet.has(key)) return false
    keySet.add(key)
    keyCount++
    return true
  }
  for (let k = 0; k < keyCount; k++) if (keys[k] === key) return false
  if (keyCount === keys.length) keys.push(key)
  else keys[keyCount] = key
  keyCount++
  return true
}

function resetKeys(): void {
  if (keySet.size > 0) keySet.clear()
  keyCount = 0
}

function campaignIndex(id: string): number {
  for (let k = 0; k < campaignCount; k++) if (campaigns[k] === id) return k
  return -1
}

/**
 * Counts the units of a counting rule (newest first, so `maxCount` keeps the most recent and a
 * day/distinct unit is aged from its newest match), sums their — possibly decayed — points, and
 * leaves the units in `units`. Returns the count.
 */
function countUnits(rule: CompiledCounting, scope: Scope): number {
  const { events, t, bits, now } = scope
  const lo = rule.windowMs > 0 ? Math.max(scope.lookLo, now - rule.windowMs) : scope.lookLo
  const per = rule.per
  const mask = rule.mask
  unitCount = 0
  resetKeys()
  let lastDay = Number.NaN
  let prev: PreparedEvent | null = null
  for (let i = scope.hi; i >= 0; i--) {
    if (t[i]! <= lo) break
    if ((bits[i]! & mask) === 0) continue
    const e = events[i]!
    if (!rule.match(e)) continue
    if (per === PER_DAY) {
      if (e.day === lastDay) continue
      lastDay = e.day
    } else if (per === PER_DISTINCT) {
      // A matching event without the key is its own unit; its identity makes replays collapse.
      const key = distinctKeyOf(e, rule.distinctKey) ?? `event:${fingerprintOf(e)}`
      if (!addKey(key)) continue
    } else if (rule.dedupe && prev !== null && prev.t === e.t && fingerprintOf(prev) === fingerprintOf(e)) {
      // Frequency: an exact replay is the same event. Sorting puts identical events side by side.
      continue
    }
    prev = e
    pushUnit(e)
    if (unitCount >= rule.maxCount) break
  }
  return unitCount
}

function distinctKeyOf(e: PreparedEvent, key: string): string | null {
  if (key === 'asset') return e.assetKey
  if (key === 'url.path') return e.path || null
  if (key === 'url.host') {
    const url = e.source.attributes['url']
    return typeof url === 'string' ? parseUrl(url).host : null
  }
  return e.norms[key] ?? null
}

/** Points of the counted units: flat, or each decayed by its age (from its newest match). */
function unitPoints(rule: CompiledCounting, now: number): number {
  if (rule.halfLifeDays <= 0) return rule.points * unitCount
  let sum = 0
  for (let i = 0; i < unitCount; i++)
    sum += rule.points * 0.5 ** ((now - units[i]!.t) / DAY_MS / rule.halfLifeDays)
  return sum
}

/** Evidence of the counted units: their days, or the distinct labels of their events. */
function unitEvidence(rule: CompiledCounting): string[] {
  const out: string[] = []
  const byDay = rule.per === PER_DAY
  for (let i = 0; i < unitCount && out.length < MAX_EVIDENCE; i++) {
    const u = units[i]!
    const label = byDay ? isoDay(u.day) : u.label
    if (byDay || !out.includes(label)) out.push(label)
  }
  return out
}

export function evaluateCounting(rule: CompiledCounting, scope: Scope): RuleOutcome | null {
  const count = countUnits(rule, scope)
  if (count === 0) return null
  if (rule.kind === 'frequency') {
    return count < rule.atLeast ? null : { points: rule.points, count, evidence: unitEvidence(rule) }
  }
  return { points: unitPoints(rule, scope.now), count, evidence: unitEvidence(rule) }
}

function campaignOf(e: PreparedEvent): string | undefined {
  return e.norms['campaignId']
}

function inCategory(e: PreparedEvent, category: string | null): boolean {
  return category === null || e.norms['category'] === category
}

const DELIVERED = typeMask(['email.delivered'])
const OPENED = typeMask(['email.opened'])

/** Fills `campaigns` with up to `n` distinct campaigns of events of type `typeBit`, newest first. */
function collectCampaigns(scope: Scope, typeBit: number, category: string | null, n: number): void {
  campaignCount = 0
  const { events, t, bits, lookLo } = scope
  for (let i = scope.hi; i >= 0 && campaignCount < n; i--) {
    if (t[i]! <= lookLo) break
    if ((bits[i]! & typeBit) === 0) continue
    const e = events[i]!
    if (!inCategory(e, category)) continue
    const id = campaignOf(e)
    if (id === undefined || campaignIndex(id) >= 0) continue
    campaigns[campaignCount] = id
    campaignEvents[campaignCount] = e
    campaignCount++
  }
}

function streakOutcome(rule: CompiledStreak): RuleOutcome {
  const evidence: string[] = []
  for (let i = 0; i < campaignCount && i < MAX_EVIDENCE; i++) evidence.push(campaignEvents[i]!.label)
  return { points: rule.points, count: rule.length, evidence }
}

/**
 * The N most recent deliveries of the category (distinct campaigns, within the lookback) must all
 * have an `email.opened` of the same campaign within the lookback. 1..N−1 deliveries: no award.
 * No delivery at all: N distinct opened campaigns of the category. Deliveries without a
 * campaignId cannot be matched to an open and are ignored.
 */
export function evaluateStreak(rule: CompiledStreak, scope: Scope): RuleOutcome | null {
  const n = rule.length
  collectCampaigns(scope, DELIVERED, rule.category, n)
  if (campaignCount === 0) {
    collectCampaigns(scope, OPENED, rule.category, n)
    return campaignCount < n ? null : streakOutcome(rule)
  }
  if (campaignCount < n) return null
  for (let k = 0; k < n; k++) opened[k] = 0
  let missing = n
  const { events, t, bits, lookLo } = scope
  for (let i = scope.hi; i >= 0 && missing > 0; i--) {
    if (t[i]! <= lookLo) break
    if ((bits[i]! & OPENED) === 0) continue
    const id = campaignOf(events[i]!)
    const at = id === undefined ? -1 : campaignIndex(id)
    if (at >= 0 && opened[at] === 0) {
      opened[at] = 1
      missing--
    }
  }
  return missing === 0 ? streakOutcome(rule) : null
}

/**
 * Last activity = the newest non-`email.delivered` event within the lookback, else first-seen.
 * Fires when it is strictly more than `days` before `now`.
 */
export function evaluateInactivity(
  rule: CompiledInactivity,
  scope: Scope,
  createdAt: number,
): RuleOutcome | null {
  let last = Number.NaN
  const { t, bits, lookLo } = scope
  for (let i = scope.hi; i >= 0; i--) {
    if (t[i]! <= lookLo) break
    if ((bits[i]! & ACTIVITY_BIT) !== 0) {
      last = t[i]!
      break
    }
  }
  const fromEvent = !Number.isNaN(last)
  if (!fromEvent) last = createdAt
  if (!(scope.now - last > rule.windowMs)) return null
  const day = isoDay(Math.floor(last / DAY_MS))
  return {
    points: rule.points,
    evidence: [fromEvent ? `last activity ${day}` : `no activity since first seen ${day}`],
  }
}
