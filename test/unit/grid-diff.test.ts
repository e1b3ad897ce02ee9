/** The audit log's readable rule diff (issue 8 §3): what a RevOps person reads after a publish. */
import { describe, expect, it } from 'vitest'
import { diffGrids } from '../../src/grids/grid-diff.js'
import { gridSchema, starterGrid } from '../../src/scoring/index.js'

const edit = (change: (g: typeof starterGrid) => void) => {
  const copy = structuredClone(starterGrid)
  change(copy)
  return gridSchema.parse(copy)
}

describe('diffGrids', () => {
  it('names a points change the way the score card writes points', () => {
    const after = edit((g) => {
      g.rules.find((r) => r.id === 'pricing-page')!.points = 30
      g.rules.find((r) => r.id === 'personal-email')!.points = -25
    })
    expect(diffGrids(starterGrid, after)).toEqual([
      '+20 → +30 Pricing page',
      '\u221220 → \u221225 Personal email',
    ])
  })

  it('names settings, added and removed rules, renames, logic and rationale changes', () => {
    const after = edit((g) => {
      g.mqlThreshold = 90
      g.rules = g.rules.filter((r) => r.id !== 'inactive-30-days')
      const pricing = g.rules.find((r) => r.id === 'pricing-page')! as { maxCount?: number; label: string }
      pricing.maxCount = 5
      pricing.label = 'Pricing pages'
      g.rules.find((r) => r.id === 'company-size')!.description = 'Bigger companies buy more seats.'
      g.rules.push({
        id: 'demo',
        label: 'Demo booked',
        kind: 'engagement',
        points: 40,
        events: { types: ['meeting.booked'] },
        per: 'occurrence',
      })
    })
    expect(diffGrids(starterGrid, after)).toEqual([
      'MQL threshold 80 → 90',
      'Renamed "Pricing page" → "Pricing pages"',
      'Pricing pages: max count 3 → 5',
      'Company size > 50: rationale edited',
      '+ Demo booked (+40)',
      '\u2212 Inactive 30 days (was \u221230)',
    ])
  })

  it('says nothing for an identical grid, and lists every rule for a first version', () => {
    expect(diffGrids(starterGrid, structuredClone(starterGrid))).toEqual([])
    expect(diffGrids(null, starterGrid)).toContain('+ Pricing page (+20)')
  })
})
