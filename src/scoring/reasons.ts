/**
 * The human summary written to the CRM (`leadgrid_reasons`):
 * `+50 Whitepapers (2) · +40 Pricing page (2 days) · −20 Personal email`.
 */
import { roundHalfAway } from './normalize.js'

export const MAX_REASONS_LENGTH = 255
const SEPARATOR = ' · '
// A real minus sign reads better next to a plus sign than a hyphen does.
const MINUS = '\u2212'

/** How a count reads: `(2 days)`, `(2)`, or not at all (fit rules, streaks, inactivity, caps). */
export type CountUnit = 'days' | 'count' | 'none'

/**
 * The last text formatted for one rule, reused while its rounded points and count are unchanged:
 * fit rules always read the same, and a batch of contacts repeats a few engagement texts — so most
 * reasons cost no string building at all. Pure memoization: same inputs, same text.
 */
export interface ReasonText {
  points: number
  count: number
  text: string
}

export const newReasonText = (): ReasonText => ({ points: Number.NaN, count: -2, text: '' })

export interface ReasonItem {
  /** Unrounded points of the contribution. */
  points: number
  label: string
  count?: number
  unit: CountUnit
}

/**
 * Collects items in grid order, then formats them. `evaluate` reuses one module-level instance
 * (evaluation is synchronous, never re-entered): fixed-capacity slots and a counter, so building
 * reasons allocates nothing but the string.
 */
export class ReasonsBuilder {
  private n = 0
  private points: number[] = []
  private weights: number[] = []
  private labels: string[] = []
  private counts: number[] = [] // -1 = no count
  private units: CountUnit[] = []
  private memos: (ReasonText | null)[] = []
  private order: number[] = []

  reset(): void {
    this.n = 0
  }

  add(
    points: number,
    label: string,
    count: number | undefined,
    unit: CountUnit,
    memo: ReasonText | null = null,
  ): void {
    const i = this.n++
    if (i === this.points.length) {
      this.points.push(0)
      this.weights.push(0)
      this.labels.push('')
      this.counts.push(-1)
      this.units.push('none')
      this.memos.push(null)
      this.order.push(0)
    }
    this.memos[i] = memo
    this.points[i] = points
    this.weights[i] = Math.abs(roundHalfAway(points, 2))
    this.labels[i] = label
    this.counts[i] = count === undefined || unit === 'none' ? -1 : count
    this.units[i] = unit
  }

  /**
   * Largest first (|points| desc, ties in the order added = grid order), signed integer points,
   * at most 255 characters: trailing items that do not fit are dropped whole, never cut. Items that
   * round to 0 say nothing to a reader and are left out.
   */
  format(): string {
    const n = this.n
    const order = this.order
    const weights = this.weights
    // Stable insertion sort on a handful of items, without a comparator closure.
    for (let i = 0; i < n; i++) {
      let j = i
      while (j > 0 && weights[order[j - 1]!]! < weights[i]!) {
        order[j] = order[j - 1]!
        j--
      }
      order[j] = i
    }
    let out = ''
    for (let k = 0; k < n; k++) {
      const i = order[k]!
      const points = roundHalfAway(this.points[i]!)
      if (points === 0) continue
      const count = this.counts[i]!
      const memo = this.memos[i] ?? null
      let text: string
      if (memo !== null && memo.points === points && memo.count === count) text = memo.text
      else {
        text =
          (points > 0 ? '+' : MINUS) +
          Math.abs(points) +
          ' ' +
          this.labels[i]! +
          suffix(count, this.units[i]!)
        if (memo !== null) {
          memo.points = points
          memo.count = count
          memo.text = text
        }
      }
      const length = out.length === 0 ? text.length : out.length + SEPARATOR.length + text.length
      if (length > MAX_REASONS_LENGTH) break
      out = out.length === 0 ? text : out + SEPARATOR + text
    }
    return out
  }
}

function suffix(count: number, unit: CountUnit): string {
  if (count < 0) return ''
  if (unit === 'days') return count === 1 ? ' (1 day)' : ' (' + count + ' days)'
  return ' (' + count + ')'
}

/** Formats a list of items given in grid order (the same rules as `evaluate` uses). */
export function formatReasons(items: readonly ReasonItem[]): string {
  const builder = new ReasonsBuilder()
  for (const item of items) builder.add(item.points, item.label, item.count, item.unit)
  return builder.format()
}
