import { describe, expect, it } from 'vitest'
import { type BacktestItem, backtestFigures, MAX_LISTED } from '../../../src/calibration/backtest.js'

const item = (i: number, score: number, converted: boolean): BacktestItem => ({
  contactId: `c${String(i).padStart(4, '0')}`,
  email: null,
  decidedAt: '2026-03-01T00:00:00.000Z',
  score,
  band: score >= 80 ? 'hot' : score >= 40 ? 'warm' : 'cold',
  mql: score >= 80,
  reasons: '',
  converted,
})

describe('backtestFigures', () => {
  it('splits into ten deciles, best first, with their lift over the average', () => {
    // 100 contacts, score i; the top 20 convert 3 in 4, the rest 1 in 8.
    const items = Array.from({ length: 100 }, (_, i) => item(i, i, i >= 80 ? i % 4 !== 0 : i % 8 === 0))
    const f = backtestFigures(items, 80)
    expect(f.byDecile).toHaveLength(10)
    expect(f.byDecile[0]).toMatchObject({ decile: 1, contacts: 10, minScore: 90, maxScore: 99 })
    expect(f.byDecile[0]!.lift!).toBeGreaterThan(2)
    expect(f.byDecile[9]!.lift!).toBeLessThan(1)
    expect(f.threshold.mqls).toBe(20)
    expect(f.threshold.precision).toBe(0.75)
  })

  it('bounds the lists of false positives and negatives, most wrong first', () => {
    const items = Array.from({ length: 300 }, (_, i) => item(i, i % 100, i % 2 === 0 ? i % 100 < 80 : false))
    const f = backtestFigures(items, 80)
    expect(f.falsePositives.items).toHaveLength(Math.min(MAX_LISTED, f.falsePositives.total))
    expect(f.falsePositives.items[0]!.score).toBe(99)
    expect(f.falseNegatives.items[0]!.score).toBe(0)
    expect(f.falseNegatives.total).toBeGreaterThan(MAX_LISTED)
    expect(f.falseNegatives.items).toHaveLength(MAX_LISTED)
  })

  it('gives nulls, not NaN, for an empty period', () => {
    const f = backtestFigures([], 80)
    expect(f).toMatchObject({ contacts: 0, conversionRate: null, rocAuc: null, byDecile: [] })
    expect(JSON.parse(JSON.stringify(f)).threshold.precision).toBeNull()
  })
})
