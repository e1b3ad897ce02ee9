/**
 * From a fitted logistic model to a Leadgrid grid: integer points on the grid's scale, one fit rule
 * per level that earns (or costs) points, each with an explanation a RevOps person would write.
 *
 * Scale: the score is an affine function of the model's log-odds,
 *   score = s·(logit − b_ref) + C,   b_ref = the intercept = log-odds of the "usual lead" (every
 * column at its reference level), so each rule's points are s·w rounded, and the MQL threshold 80
 * sits exactly at the chosen cut t*: C = 80 − s·(t* − b_ref). We pick s = 80 / (t* − b_ref) so that
 * C = 0 and the grid needs no constant, unless that would make points too coarse (s < 8 points per
 * unit of log-odds: rounding would blur the ranking) or too big (s > 20: a single criterion worth 100+ points reads as a mistake); then s is clamped and a
 * "Baseline" rule that every lead matches carries C. Points that round to 0 are dropped.
 */
import { type Grid, gridSchema, type Rule } from '../scoring/schema.js'
import type { ProfileCondition } from '../scoring/types.js'
import type { FeatureMap } from './feature-map.js'
import type { LogisticModel } from './logistic-regression.js'

export const MQL_THRESHOLD = 80
const MIN_SCALE = 8
const MAX_SCALE = 20
const MAX_POINTS = 300

export interface SuggestedRule {
  rule: Rule
  /** Conversion rate of the leads at this level ÷ the average rate (training rows). */
  lift: number
  leads: number
  explanation: string
}

export interface PointsInput {
  map: FeatureMap
  model: LogisticModel
  /** Log-odds cut where the MQL threshold must sit. */
  cut: number
  /** Training conversion rate ("average"). */
  baseRate: number
  name: string
  description?: string
}

export interface PointsResult {
  grid: Grid
  rules: SuggestedRule[]
  /** Points per unit of log-odds. */
  scale: number
  /** Points of the Baseline rule (0 when there is none). */
  baseline: number
}

const logit = (p: number) => Math.log(p / (1 - p))

export function toGrid(input: PointsInput): PointsResult {
  const { map, model, cut, baseRate } = input
  const distance = cut - model.intercept
  const scale =
    distance > 0
      ? Math.min(MAX_SCALE, Math.max(MIN_SCALE, MQL_THRESHOLD / distance))
      : (MIN_SCALE + MAX_SCALE) / 2
  const baseline = Math.round(MQL_THRESHOLD - scale * distance)
  const rules: SuggestedRule[] = []
  const ids = new Set<string>()
  map.groups.forEach((group) => {
    group.levels.forEach((level, li) => {
      const f = group.featureOf[li]!
      if (f < 0 || level.count === 0) return
      const points = Math.max(-MAX_POINTS, Math.min(MAX_POINTS, Math.round(scale * model.weights[f]!)))
      if (points === 0) return
      const rate = level.positives / level.count
      const lift = baseRate > 0 ? rate / baseRate : 0
      const label = truncate(levelLabel(group.column, group.kind, level.label), 80)
      const explanation = explain(points, lift, level.count, rate)
      rules.push({
        rule: {
          id: uniqueId(ids, `${group.column}.${level.label}`),
          label,
          description: explanation,
          points,
          kind: 'fit',
          when: level.condition,
        },
        lift,
        leads: level.count,
        explanation,
      })
    })
  })
  const gridRules: Rule[] = rules.map((r) => r.rule)
  if (baseline !== 0 && map.groups.length > 0) {
    const anyColumn = map.groups[0]!.column
    const always: ProfileCondition = {
      any: [
        { property: anyColumn, op: 'isKnown' },
        { property: anyColumn, op: 'isUnknown' },
      ],
    }
    gridRules.unshift({
      id: uniqueId(ids, 'baseline'),
      label: 'Baseline (every lead)',
      description: `Every lead starts at ${baseline} so that ${MQL_THRESHOLD} points means the conversion odds chosen for MQL.`,
      points: baseline,
      kind: 'fit',
      when: always,
    })
  }
  const warmAtAverage = Math.round(scale * (logit(clampRate(baseRate)) - model.intercept) + baseline)
  const warm =
    warmAtAverage < MQL_THRESHOLD ? warmAtAverage : MQL_THRESHOLD - Math.max(1, Math.round(scale * Math.LN2))
  const grid = gridSchema.parse({
    name: input.name,
    description: input.description,
    thresholds: { warm, hot: MQL_THRESHOLD },
    grade: { fitA: MQL_THRESHOLD, fitB: warm },
    mqlThreshold: MQL_THRESHOLD,
    rules: gridRules,
  })
  return { grid, rules, scale, baseline }
}

const clampRate = (p: number) => Math.min(Math.max(p, 1e-4), 1 - 1e-4)

function levelLabel(column: string, kind: string, level: string): string {
  if (level === 'unknown') return `${column} unknown`
  if (level === 'another value') return `${column}: another value`
  if (kind === 'numeric') return `${column} ${level}`
  if (kind === 'boolean') return `${column} = ${level === 'yes' ? 'Yes' : 'No'}`
  return `${column} = ${level}`
}

const percent = (x: number) => `${Math.round(x * 100)} %`

/** "converts 4.1× more than average (62 % of 534 leads)", with a note when the points disagree with the raw rate. */
export function explain(points: number, lift: number, leads: number, rate: number): string {
  const sample = `${percent(rate)} of ${leads.toLocaleString('en-US')} leads converted`
  let head: string
  if (rate === 0) head = `none of its ${leads.toLocaleString('en-US')} leads converted`
  else if (lift >= 1.05) head = `converts ${lift.toFixed(1)}× more than average (${sample})`
  else if (lift <= 0.95) head = `converts ${(1 / lift).toFixed(1)}× less than average (${sample})`
  else head = `converts about as often as average (${sample})`
  if (points > 0 && lift < 0.95)
    head += '; worth points once the other criteria are counted (its leads lack them)'
  if (points < 0 && lift > 1.05)
    head += '; its leads already score high on other criteria, so this corrects for double counting'
  return head
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`
}

function uniqueId(used: Set<string>, wanted: string): string {
  const slug =
    wanted
      .normalize('NFKD')
      .toLowerCase()
      .replace(/≥/g, 'gte')
      .replace(/</g, 'lt')
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .replace(/-+$/, '')
      .slice(0, 56) || 'rule'
  let id = slug
  for (let k = 2; used.has(id); k++) id = `${slug}-${k}`
  used.add(id)
  return id
}
