/**
 * The levels of one column, for each kind of column the feature map knows (feature-map.ts): the
 * grid condition of each level, and which level a raw value falls in — matched with the engine's
 * own normalization, so a grid built from the levels scores exactly the rows the model was fitted on.
 */
import { normalizeText, toNumber, toValue } from '../scoring/normalize.js'
import type { ProfileCondition } from '../scoring/types.js'

export type ColumnKind = 'numeric' | 'boolean' | 'categorical'
export type Row = Readonly<Record<string, string | undefined>>

export interface Level {
  /** Human label of the value set, e.g. `Reference`, `≥ 5`, `unknown`, `other values`. */
  label: string
  condition: ProfileCondition
  /** Training rows at this level. */
  count: number
  /** Training rows at this level with a positive outcome. */
  positives: number
}

export interface FeatureGroup {
  column: string
  kind: ColumnKind
  levels: Level[]
  /** Index in `levels` of the reference level (no feature, 0 points). */
  reference: number
  /** Index of the first feature of this group: level i ≠ reference has feature `offset + rank`. */
  offset: number
  /** Feature index of each level (−1 for the reference). */
  featureOf: Int32Array
  levelOf(raw: string | undefined): number
}

export interface FeatureMapOptions {
  /** Columns that are never features (outcome, id, excluded). */
  ignore: ReadonlySet<string>
  /** Normalized values that mean "not filled in" (e.g. a form default such as `Select`). */
  missing: ReadonlySet<string>
  /** Most levels kept per text column (the rest pooled). */
  maxLevels?: number
  /** Number of quantile bins for numbers. */
  bins?: number
}

export const YES = ['yes', 'y', 'true', '1', 'oui']
export const NO = ['no', 'n', 'false', '0', 'non']
export const YES_SET = new Set(YES)
export const NO_SET = new Set(NO)
const MAX_OPERAND_LENGTH = 500

/** A group before the training rows are counted into it. */
export type GroupLevels = Omit<FeatureGroup, 'offset' | 'featureOf' | 'reference'>

const level = (label: string, condition: ProfileCondition): Level => ({
  label,
  condition,
  count: 0,
  positives: 0,
})

export function booleanGroup(column: string, missing: ReadonlySet<string>): GroupLevels {
  const levels = [
    level('yes', { property: column, op: 'in', value: YES }),
    level('no', { property: column, op: 'in', value: NO }),
    level('unknown', { not: { property: column, op: 'in', value: [...YES, ...NO] } }),
  ]
  void missing // markers are neither yes nor no: they fall in "unknown" by construction
  return {
    column,
    kind: 'boolean',
    levels,
    levelOf(raw) {
      const v = toValue(raw)
      if (v === undefined) return 2
      return YES_SET.has(v.norm) ? 0 : NO_SET.has(v.norm) ? 1 : 2
    },
  }
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

const formatNumber = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 4 })

export function numericGroup(
  column: string,
  known: string[],
  bins: number,
  minCount: number,
): GroupLevels | null {
  const values = Float64Array.from(known.map(toNumber).filter((x) => !Number.isNaN(x))).sort()
  const min = values[0]!
  // Cut points "< c": quantiles, without a cut at the minimum (an empty lower bin) or duplicates,
  // and only where each bin keeps enough rows to estimate its effect.
  const cuts: number[] = []
  let lastIndex = 0
  for (let k = 1; k < bins; k++) {
    const c = quantile(values, k / bins)
    if (c <= min || (cuts.length > 0 && c <= cuts[cuts.length - 1]!)) continue
    const below = lowerBound(values, c)
    if (below - lastIndex < minCount || values.length - below < minCount) continue
    cuts.push(c)
    lastIndex = below
  }
  if (cuts.length === 0) return null
  const levels: Level[] = []
  levels.push(level(`< ${formatNumber(cuts[0]!)}`, { property: column, op: 'lt', value: cuts[0]! }))
  for (let k = 1; k < cuts.length; k++) {
    levels.push(
      level(`${formatNumber(cuts[k - 1]!)} to < ${formatNumber(cuts[k]!)}`, {
        all: [
          { property: column, op: 'gte', value: cuts[k - 1]! },
          { property: column, op: 'lt', value: cuts[k]! },
        ],
      }),
    )
  }
  const last = cuts[cuts.length - 1]!
  levels.push(level(`≥ ${formatNumber(last)}`, { property: column, op: 'gte', value: last }))
  // True exactly when the value is unknown or not a number (both comparisons fail).
  levels.push(
    level('unknown', {
      not: {
        any: [
          { property: column, op: 'lt', value: cuts[0]! },
          { property: column, op: 'gte', value: cuts[0]! },
        ],
      },
    }),
  )
  const unknownLevel = levels.length - 1
  return {
    column,
    kind: 'numeric',
    levels,
    levelOf(raw) {
      const x = toNumber(raw)
      if (Number.isNaN(x)) return unknownLevel
      let k = 0
      while (k < cuts.length && x >= cuts[k]!) k++
      return k
    },
  }
}

/** Index of the first element ≥ x in a sorted array. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function categoricalGroup(
  column: string,
  known: string[],
  norms: Map<string, number>,
  options: FeatureMapOptions,
  minCount: number,
): GroupLevels | null {
  // The most common spelling of each normalized value is the one shown in the grid.
  const spellings = new Map<string, Map<string, number>>()
  for (const raw of known) {
    const norm = normalizeText(raw)
    const byRaw = spellings.get(norm) ?? new Map<string, number>()
    const s = raw.trim()
    byRaw.set(s, (byRaw.get(s) ?? 0) + 1)
    spellings.set(norm, byRaw)
  }
  const frequent = [...norms.entries()]
    .filter(([norm, count]) => count >= minCount && norm.length <= MAX_OPERAND_LENGTH)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.maxLevels ?? 25)
    .map(([norm]) => norm)
  const rare = norms.size - frequent.length
  if (frequent.length + (rare > 0 ? 1 : 0) < 1) return null
  const index = new Map<string, number>()
  const levels: Level[] = frequent.map((norm, i) => {
    index.set(norm, i)
    const spelling = [...spellings.get(norm)!.entries()].sort((a, b) => b[1] - a[1])[0]![0]
    return level(spelling, { property: column, op: 'eq', value: spelling })
  })
  const markers = [...options.missing]
  const otherLevel = levels.length
  levels.push(
    level('another value', {
      all: [
        { property: column, op: 'isKnown' },
        { property: column, op: 'notIn', value: [...frequent, ...markers] },
      ],
    }),
  )
  const unknownLevel = levels.length
  levels.push(
    level(
      'unknown',
      markers.length > 0
        ? {
            any: [
              { property: column, op: 'isUnknown' },
              { property: column, op: 'in', value: markers },
            ],
          }
        : { property: column, op: 'isUnknown' },
    ),
  )
  return {
    column,
    kind: 'categorical',
    levels,
    levelOf(raw) {
      const v = toValue(raw)
      if (v === undefined || options.missing.has(v.norm)) return unknownLevel
      return index.get(v.norm) ?? otherLevel
    },
  }
}
