/**
 * Backtest figures from contacts already scored at their decision time: how well
 * the MQL threshold separated those who converted from those who did not (precision, recall, F1),
 * conversion by band and by score decile (lift over the average), ROC AUC, and the false positives
 * (MQL, never converted) and false negatives (converted, never MQL) with their reasons, most wrong
 * first, bounded so a large period never builds a huge answer. Pure.
 */
import type { Band } from '../scoring/types.js'
import { rocAuc, thresholdFigures } from './metrics.js'

export interface BacktestItem {
  contactId: string
  email: string | null
  /** When sales decided: the contact's first outcome of the period; scored as of this instant. */
  decidedAt: string
  score: number
  band: Band
  mql: boolean
  reasons: string
  converted: boolean
}

export interface BacktestFigures {
  contacts: number
  converted: number
  conversionRate: number | null
  threshold: {
    mqlThreshold: number
    mqls: number
    precision: number | null
    recall: number | null
    f1: number
  }
  rocAuc: number | null
  byBand: {
    band: Band
    contacts: number
    converted: number
    conversionRate: number | null
    lift: number | null
  }[]
  byDecile: {
    decile: number
    contacts: number
    minScore: number
    maxScore: number
    converted: number
    conversionRate: number
    lift: number | null
  }[]
  falsePositives: { total: number; items: BacktestItem[] }
  falseNegatives: { total: number; items: BacktestItem[] }
}

export const MAX_LISTED = 50
const BANDS: Band[] = ['hot', 'warm', 'cold']
const finite = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null)

export function backtestFigures(items: readonly BacktestItem[], mqlThreshold: number): BacktestFigures {
  const n = items.length
  const converted = items.filter((i) => i.converted).length
  const rate = n > 0 ? converted / n : Number.NaN
  const labels = items.map((i) => (i.converted ? 1 : 0))
  const t = thresholdFigures(
    items.map((i) => i.mql),
    labels,
  )
  const lift = (r: number) => finite(r / rate)
  const byBand = BANDS.map((band) => {
    const inBand = items.filter((i) => i.band === band)
    const c = inBand.filter((i) => i.converted).length
    const r = inBand.length > 0 ? c / inBand.length : Number.NaN
    return { band, contacts: inBand.length, converted: c, conversionRate: finite(r), lift: lift(r) }
  })
  // Deciles by score, best first; ties broken by contact id so the split is reproducible.
  const sorted = [...items].sort((a, b) => b.score - a.score || (a.contactId < b.contactId ? -1 : 1))
  const groups = Math.min(10, n)
  const byDecile: BacktestFigures['byDecile'] = []
  for (let d = 0; d < groups; d++) {
    const slice = sorted.slice(Math.floor((d * n) / groups), Math.floor(((d + 1) * n) / groups))
    const c = slice.filter((i) => i.converted).length
    const r = c / slice.length
    byDecile.push({
      decile: d + 1,
      contacts: slice.length,
      minScore: slice.at(-1)!.score,
      maxScore: slice[0]!.score,
      converted: c,
      conversionRate: finite(r)!,
      lift: lift(r),
    })
  }
  const fp = sorted.filter((i) => i.mql && !i.converted)
  const fn = sorted.filter((i) => !i.mql && i.converted).reverse()
  return {
    contacts: n,
    converted,
    conversionRate: finite(rate),
    threshold: {
      mqlThreshold,
      mqls: t.predicted,
      precision: finite(t.precision),
      recall: finite(t.recall),
      f1: finite(t.f1) ?? 0,
    },
    rocAuc: finite(
      rocAuc(
        items.map((i) => i.score),
        labels,
      ),
    ),
    byBand,
    byDecile,
    falsePositives: { total: fp.length, items: fp.slice(0, MAX_LISTED) },
    falseNegatives: { total: fn.length, items: fn.slice(0, MAX_LISTED) },
  }
}
