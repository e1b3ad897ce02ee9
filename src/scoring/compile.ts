/**
 * Compiles a validated grid once into plain objects and closures the evaluator runs without
 * interpretation: type masks, window lengths in ms, predicates with normalized operands and
 * prebuilt regexes, profile keys resolved to slots.
 */
import { compileCondition, type Predicate, type ValueTest } from './conditions.js'
import { parseUrl, toValue } from './normalize.js'
import { typeMask } from './prepare.js'
import { newReasonText, type ReasonText } from './reasons.js'
import type { Grid, Rule } from './schema.js'
import { DAY_MS } from './time.js'
import type { ContributionKind, EventSelector, PreparedEvent, PreparedValue } from './types.js'

/**
 * A profile as the fit predicates see it: each key a grid uses is normalized at most once per
 * evaluation, on first use. `evaluate` reuses one instance (synchronous, never re-entered): a
 * generation stamp invalidates the previous contact's values without clearing anything.
 */
export class ProfileView {
  private profile: Readonly<Record<string, unknown>> = {}
  private keys: readonly string[] = []
  private readonly values: (PreparedValue | undefined)[] = []
  private readonly stamps: number[] = []
  private generation = 0

  reset(profile: Readonly<Record<string, unknown>>, keys: readonly string[]): this {
    this.profile = profile
    this.keys = keys
    this.generation++
    while (this.stamps.length < keys.length) {
      this.stamps.push(0)
      this.values.push(undefined)
    }
    return this
  }

  get(slot: number): PreparedValue | undefined {
    if (this.stamps[slot] === this.generation) return this.values[slot]
    const v = toValue(this.profile[this.keys[slot]!])
    this.values[slot] = v
    this.stamps[slot] = this.generation
    return v
  }
}

interface RuleCommon {
  id: string
  label: string
  kind: Exclude<ContributionKind, 'group'>
  points: number
  /** Index into `CompiledGrid.groups`, -1 when ungrouped. */
  group: number
  side: 'fit' | 'engagement'
  /** Memo of this rule's last reason text (see reasons.ts). */
  reasonText: ReasonText
}

export const PER_OCCURRENCE = 0
export const PER_DAY = 1
export const PER_DISTINCT = 2

export interface CompiledFit extends RuleCommon {
  kind: 'fit'
  test: Predicate<ProfileView>
}

/** Engagement and frequency rules: both count units of matching events in a window. */
export interface CompiledCounting extends RuleCommon {
  kind: 'engagement' | 'frequency'
  mask: number
  match: Predicate<PreparedEvent>
  per: typeof PER_OCCURRENCE | typeof PER_DAY | typeof PER_DISTINCT
  /** The distinct key, for PER_DISTINCT: `asset` (derived) or an attribute name. */
  distinctKey: string
  /** 0 = the grid's lookback. */
  windowMs: number
  maxCount: number
  halfLifeDays: number
  /** Frequency only: the threshold; 0 for engagement. */
  atLeast: number
  /** Frequency counts an exact replay once. */
  dedupe: boolean
}

export interface CompiledStreak extends RuleCommon {
  kind: 'streak'
  length: number
  category: string | null
}

export interface CompiledInactivity extends RuleCommon {
  kind: 'inactivity'
  windowMs: number
  days: number
}

export type CompiledRule = CompiledFit | CompiledCounting | CompiledStreak | CompiledInactivity

export interface CompiledGroup {
  id: string
  label: string
  min: number
  max: number
  /** Validation guarantees a group's rules are all on one side; an empty group sums to 0 anyway. */
  side: 'fit' | 'engagement'
  reasonText: ReasonText
}

export interface CompiledGrid {
  readonly grid: Grid
  readonly rules: readonly CompiledRule[]
  readonly groups: readonly CompiledGroup[]
  readonly profileKeys: readonly string[]
  readonly lookbackMs: number
  /** False for a grid of fit rules only: a caller may then skip loading events. */
  readonly hasEventRules: boolean
}

/**
 * Compile once per grid version; the result is safe to share and reuse (immutable, bar the
 * deterministic reason-text memos).
 */
export function compileGrid(grid: Grid): CompiledGrid {
  const profileKeys: string[] = []
  const slotOf = (key: string): number => {
    let slot = profileKeys.indexOf(key)
    if (slot < 0) slot = profileKeys.push(key) - 1
    return slot
  }
  const groups: CompiledGroup[] = (grid.groups ?? []).map((g) => ({
    id: g.id,
    label: g.label,
    min: g.minPoints ?? Number.NEGATIVE_INFINITY,
    max: g.maxPoints ?? Number.POSITIVE_INFINITY,
    side: grid.rules.some((r) => r.group === g.id && r.kind !== 'fit') ? 'engagement' : 'fit',
    reasonText: newReasonText(),
  }))
  const rules = grid.rules.map((rule) => compileRule(rule, groups, slotOf))
  return Object.freeze({
    grid,
    rules: Object.freeze(rules),
    groups: Object.freeze(groups),
    profileKeys: Object.freeze(profileKeys),
    lookbackMs: grid.lookbackDays * DAY_MS,
    hasEventRules: rules.some((r) => r.kind !== 'fit'),
  })
}

function compileRule(rule: Rule, groups: CompiledGroup[], slotOf: (key: string) => number): CompiledRule {
  const common = {
    id: rule.id,
    label: rule.label,
    points: rule.points,
    group: rule.group === undefined ? -1 : groups.findIndex((g) => g.id === rule.group),
    side: rule.kind === 'fit' ? ('fit' as const) : ('engagement' as const),
    reasonText: newReasonText(),
  }
  switch (rule.kind) {
    case 'fit':
      return { ...common, kind: 'fit', test: compileCondition(rule.when, 'property', profileAccess(slotOf)) }
    case 'engagement':
    case 'frequency': {
      const selectors = Array.isArray(rule.events) ? rule.events : [rule.events]
      const per = rule.per
      return {
        ...common,
        kind: rule.kind,
        mask: typeMask(selectors.flatMap((s) => s.types)),
        match: compileSelectors(selectors),
        per: per === 'occurrence' ? PER_OCCURRENCE : per === 'day' ? PER_DAY : PER_DISTINCT,
        distinctKey: typeof per === 'object' ? per.distinct : '',
        windowMs: (rule.withinDays ?? 0) * DAY_MS,
        maxCount:
          rule.kind === 'engagement' ? (rule.maxCount ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY,
        halfLifeDays: rule.kind === 'engagement' ? (rule.halfLifeDays ?? 0) : 0,
        atLeast: rule.kind === 'frequency' ? rule.atLeast : 0,
        dedupe: rule.kind === 'frequency',
      }
    }
    case 'streak':
      return { ...common, kind: 'streak', length: rule.length, category: rule.category ?? null }
    case 'inactivity':
      return { ...common, kind: 'inactivity', days: rule.days, windowMs: rule.days * DAY_MS }
  }
}

function profileAccess(slotOf: (key: string) => number) {
  return (key: string, positive: ValueTest, negated: boolean): Predicate<ProfileView> => {
    const slot = slotOf(key)
    return negated ? (p) => !positive(p.get(slot)) : (p) => positive(p.get(slot))
  }
}

// Prepared events keep plain normalized strings (compact, see types.ts); tests see them through
// reused value objects — a ValueTest never keeps its argument, and never re-enters an accessor.
const segmentValue: { raw: unknown; norm: string } = { raw: '', norm: '' }
const attributeValue: { raw: unknown; norm: string } = { raw: undefined, norm: '' }

/**
 * Event subjects: attributes, plus the derived `url.path`, `url.host` (computed on use: rarely
 * tested) and the multi-valued `url.pathSegment` — positive when any segment satisfies, negated
 * when none does.
 */
function eventAccess(key: string, positive: ValueTest, negated: boolean): Predicate<PreparedEvent> {
  if (key === 'url.pathSegment') {
    const any = (e: PreparedEvent) => {
      const segments = e.segments
      for (let i = 0; i < segments.length; i++) {
        segmentValue.raw = segmentValue.norm = segments[i]!
        if (positive(segmentValue)) return true
      }
      return false
    }
    return negated ? (e) => !any(e) : any
  }
  if (key === 'url.path' || key === 'url.host') {
    const get =
      key === 'url.path'
        ? (e: PreparedEvent) => (e.path === null ? undefined : toValue(e.path))
        : (e: PreparedEvent) => {
            const url = e.source.attributes['url']
            return typeof url === 'string' ? toValue(parseUrl(url).host ?? '') : undefined
          }
    return negated ? (e) => !positive(get(e)) : (e) => positive(get(e))
  }
  const test = positive.usesRaw
    ? (e: PreparedEvent) => {
        const norm = e.norms[key]
        if (norm === undefined) return positive(undefined)
        attributeValue.raw = e.source.attributes[key]
        attributeValue.norm = norm
        return positive(attributeValue)
      }
    : (e: PreparedEvent) => {
        const norm = e.norms[key]
        if (norm === undefined) return positive(undefined)
        attributeValue.raw = undefined
        attributeValue.norm = norm
        return positive(attributeValue)
      }
  return negated ? (e) => !test(e) : test
}

function compileSelectors(selectors: EventSelector[]): Predicate<PreparedEvent> {
  const compiled = selectors.map((s) => {
    const mask = typeMask(s.types)
    const where = s.where ? compileCondition(s.where, 'attribute', eventAccess) : null
    return where === null
      ? (e: PreparedEvent) => (e.typeBit & mask) !== 0
      : (e: PreparedEvent) => (e.typeBit & mask) !== 0 && where(e)
  })
  if (compiled.length === 1) return compiled[0]!
  return (e) => {
    for (const m of compiled) if (m(e)) return true
    return false
  }
}
