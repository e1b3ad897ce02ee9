/**
 * `evaluate`: one contact, one compiled grid, one instant → one score. Pure: time comes
 * in as `now`, nothing is read from the clock or the outside world.
 */
import { type CompiledGrid, type CompiledRule, PER_DAY, ProfileView } from './compile.js'
import { roundHalfAway } from './normalize.js'
import { attachedColumns, indexEvents } from './prepare.js'
import { type CountUnit, ReasonsBuilder } from './reasons.js'
import {
  evaluateCounting,
  evaluateInactivity,
  evaluateStreak,
  type RuleOutcome,
  type Scope,
} from './rules.js'
import { isoInstant } from './time.js'
import type { Band, Contribution, EvaluateInput, Grade, PreviousStatus, ScoreResult } from './types.js'

// Scratch state reused across calls (evaluation is synchronous and never re-entered).
const scope: Scope = {
  events: [],
  t: [],
  bits: [],
  hi: -1,
  lookLo: 0,
  now: 0,
}
const reasons = new ReasonsBuilder()
const profile = new ProfileView()
/** The unrounded fit and engagement points of the contact being scored. */
const raw = { fit: 0, engagement: 0 }

export function evaluate(compiled: CompiledGrid, input: EvaluateInput, now: number): ScoreResult {
  if (!Number.isFinite(now)) throw new TypeError('evaluate: now must be a finite epoch-ms number')
  bindContact(compiled, input, now)
  const contributions: Contribution[] = []
  const groupSums = sumRules(compiled, input.createdAt, contributions)
  if (groupSums !== null) applyGroupBounds(compiled, groupSums, contributions)
  const result = resultOf(compiled.grid, input.previous ?? null, now, contributions)
  // Let go of this contact's events: a backtest's last list should not outlive it in the scratch.
  scope.events = scope.t = scope.bits = NONE
  profile.reset(EMPTY_PROFILE, compiled.profileKeys)
  return result
}

/** Points the scratch at this contact: its events (time-indexed), its profile, the instant. */
function bindContact(compiled: CompiledGrid, input: EvaluateInput, now: number): void {
  const columns = attachedColumns(input.events)
  if (columns !== undefined) {
    scope.events = input.events
    scope.t = columns.t
    scope.bits = columns.bits
  } else {
    // A caller that concatenated prepared lists still gets a correct score.
    const indexed = indexEvents(input.events)
    scope.events = indexed.events
    scope.t = indexed.columns.t
    scope.bits = indexed.columns.bits
  }
  scope.hi = newestAtOrBefore(scope.t, now)
  scope.lookLo = now - compiled.lookbackMs
  scope.now = now
  profile.reset(input.profile, compiled.profileKeys)
  raw.fit = 0
  raw.engagement = 0
  reasons.reset()
}

/** Each rule's points into its side (or its group's sum); returns the group sums, null when no group. */
function sumRules(
  compiled: CompiledGrid,
  createdAt: number,
  contributions: Contribution[],
): Float64Array | null {
  const { rules, groups } = compiled
  const groupSums = groups.length > 0 ? new Float64Array(groups.length) : null
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!
    const outcome = evaluateRule(rule, profile, scope, createdAt)
    if (outcome === null) continue
    if (rule.group >= 0) groupSums![rule.group]! += outcome.points
    else if (rule.side === 'fit') raw.fit += outcome.points
    else raw.engagement += outcome.points
    contributions.push(contributionOf(rule, outcome, compiled))
    reasons.add(outcome.points, rule.label, outcome.count, reasonUnit(rule), rule.reasonText)
  }
  return groupSums
}

/** Each group's sum, held within its bounds, into its side. */
function applyGroupBounds(
  compiled: CompiledGrid,
  groupSums: Float64Array,
  contributions: Contribution[],
): void {
  const { groups } = compiled
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!
    const sum = groupSums[g]!
    const clamped = Math.min(Math.max(sum, group.min), group.max)
    if (group.side === 'fit') raw.fit += clamped
    else raw.engagement += clamped
    if (clamped === sum) continue
    // The cap is a contribution of its own, so contributions always add up to the score.
    const label = `${group.label} (${clamped < sum ? `capped at ${group.max}` : `floored at ${group.min}`})`
    contributions.push({
      ruleId: group.id,
      label,
      kind: 'group',
      points: roundHalfAway(clamped - sum, 2),
      count: undefined,
      evidence: undefined,
      group: undefined,
    })
    reasons.add(clamped - sum, label, undefined, 'none', group.reasonText)
  }
}

/** The rounded sides, the total within the grid's bounds, band, grade and MQL status. */
function resultOf(
  grid: CompiledGrid['grid'],
  previous: PreviousStatus | null,
  now: number,
  contributions: Contribution[],
): ScoreResult {
  const fit = roundHalfAway(raw.fit)
  const engagement = roundHalfAway(raw.engagement)
  let total = fit + engagement
  if (grid.minScore !== undefined && total < grid.minScore) total = grid.minScore
  if (grid.maxScore !== undefined && total > grid.maxScore) total = grid.maxScore

  const mql = previous?.mql ? total >= grid.mqlThreshold - grid.mqlHysteresis : total >= grid.mqlThreshold
  const mqlSince = !mql ? null : previous?.mql ? (previous.mqlSince ?? isoInstant(now)) : isoInstant(now)

  return {
    fit,
    engagement,
    total,
    band: bandOf(total, grid),
    grade: gradeOf(fit, engagement, grid),
    mql,
    mqlSince,
    reasons: reasons.format(),
    contributions,
  }
}

const NONE: never[] = []
const EMPTY_PROFILE = {}

function evaluateRule(
  rule: CompiledRule,
  profile: ProfileView,
  scope: Scope,
  createdAt: number,
): RuleOutcome | null {
  switch (rule.kind) {
    case 'fit':
      return rule.test(profile) ? { points: rule.points } : null
    case 'engagement':
    case 'frequency':
      return evaluateCounting(rule, scope)
    case 'streak':
      return evaluateStreak(rule, scope)
    case 'inactivity':
      return evaluateInactivity(rule, scope, createdAt)
  }
}

/** One literal with every key (absent ones undefined, dropped by JSON): one hidden class for all. */
function contributionOf(rule: CompiledRule, outcome: RuleOutcome, compiled: CompiledGrid): Contribution {
  return {
    ruleId: rule.id,
    label: rule.label,
    kind: rule.kind,
    points: roundHalfAway(outcome.points, 2),
    count: outcome.count,
    evidence: outcome.evidence,
    group: rule.group >= 0 ? compiled.groups[rule.group]!.id : undefined,
  }
}

function reasonUnit(rule: CompiledRule): CountUnit {
  if (rule.kind === 'engagement') return rule.per === PER_DAY ? 'days' : 'count'
  return rule.kind === 'frequency' ? 'count' : 'none'
}

/** Index of the newest event at or before `now` (events after `now` never count); -1 when none. */
function newestAtOrBefore(t: readonly number[], now: number): number {
  let hi = t.length - 1
  if (hi < 0 || t[hi]! <= now) return hi
  let lo = 0
  // Binary search for the last index with t ≤ now.
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (t[mid]! <= now) lo = mid + 1
    else hi = mid - 1
  }
  return hi
}

export function bandOf(total: number, grid: CompiledGrid['grid']): Band {
  if (total < grid.thresholds.warm) return 'cold'
  if (total < grid.thresholds.hot) return 'warm'
  return 'hot'
}

const GRADES: readonly Grade[] = ['A1', 'A2', 'A3', 'B1', 'B2', 'B3', 'C1', 'C2', 'C3']

export function gradeOf(fit: number, engagement: number, grid: CompiledGrid['grid']): Grade {
  const g = grid.grade
  const letter = fit >= g.fitA ? 0 : fit >= g.fitB ? 1 : 2
  const digit = engagement >= g.engagement1 ? 0 : engagement >= g.engagement2 ? 1 : 2
  return GRADES[letter * 3 + digit]!
}
