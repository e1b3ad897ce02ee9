/**
 * Score assembly: groups, rounding, clamping, band, grade, MQL hysteresis, contributions, reasons.
 */
import { describe, expect, it } from 'vitest'
import { formatReasons, MAX_REASONS_LENGTH } from '../../../src/scoring/reasons.js'
import { ago, contribution, DAY, gridWith, NOW, pageView, score } from './helpers.js'

const always = { property: 'x', op: 'isUnknown' }
const fitRule = (id: string, points: number, extra: Record<string, unknown> = {}) => ({
  id,
  label: id,
  kind: 'fit',
  points,
  when: always,
  ...extra,
})
const viewsRule = (id: string, points: number, extra: Record<string, unknown> = {}) => ({
  id,
  label: id,
  kind: 'engagement',
  points,
  events: { types: ['page.viewed'] },
  ...extra,
})
const views = (n: number) => Array.from({ length: n }, (_, i) => pageView(ago((i + 1) * 60_000)))

describe('groups', () => {
  it('clamp the sum of their rules to maxPoints, with a cap contribution so contributions add up', () => {
    const grid = gridWith(
      [viewsRule('a', 10, { group: 'content' }), viewsRule('b', 5, { group: 'content' }), viewsRule('c', 1)],
      {
        groups: [{ id: 'content', label: 'Content', maxPoints: 20 }],
      },
    )
    const r = score(grid, { events: views(2) })
    expect(r.engagement).toBe(22) // min(20 + 10, 20) + 2
    expect(contribution(r, 'a')).toMatchObject({ points: 20, group: 'content' })
    expect(contribution(r, 'content')).toEqual({
      ruleId: 'content',
      label: 'Content (capped at 20)',
      kind: 'group',
      points: -10,
    })
    expect(r.contributions.reduce((s, c) => s + c.points, 0)).toBe(22)
  })
  it('floor a negative sum at minPoints', () => {
    const grid = gridWith([fitRule('a', -30, { group: 'risk' }), fitRule('b', -20, { group: 'risk' })], {
      groups: [{ id: 'risk', label: 'Risk', minPoints: -25 }],
    })
    const r = score(grid)
    expect(r.fit).toBe(-25)
    expect(contribution(r, 'risk')).toMatchObject({ label: 'Risk (floored at -25)', points: 25 })
  })
  it('a group with nothing fired stays at 0; a group under its cap adds nothing', () => {
    const grid = gridWith([viewsRule('a', 10, { group: 'g' })], {
      groups: [{ id: 'g', label: 'G', maxPoints: 50, minPoints: -5 }],
    })
    expect(score(grid).contributions).toEqual([])
    expect(score(grid, { events: views(1) }).contributions.map((c) => c.ruleId)).toEqual(['a'])
  })
  it('a fit group feeds fit and an engagement group feeds engagement', () => {
    const grid = gridWith([fitRule('f', 10, { group: 'fg' }), viewsRule('e', 10, { group: 'eg' })], {
      groups: [
        { id: 'fg', label: 'F', maxPoints: 5 },
        { id: 'eg', label: 'E', maxPoints: 7 },
      ],
    })
    expect(score(grid, { events: views(1) })).toMatchObject({ fit: 5, engagement: 7, total: 12 })
  })
})

describe('rounding', () => {
  const decayed = (points: number) => viewsRule('d', points, { halfLifeDays: 1 })
  it('rounds fit and engagement separately, halves away from zero', () => {
    // One view exactly 1 day old at half-life 1 day is worth points / 2.
    const oneDayOld = [pageView(ago(DAY - 0))]
    expect(score(gridWith([decayed(5)]), { events: oneDayOld }).engagement).toBe(3) // 2.5 → 3
    expect(score(gridWith([decayed(-5)]), { events: oneDayOld }).engagement).toBe(-3) // −2.5 → −3
    expect(score(gridWith([decayed(3)]), { events: oneDayOld }).engagement).toBe(2) // 1.5 → 2
    expect(score(gridWith([decayed(4.9)]), { events: oneDayOld }).engagement).toBe(2) // 2.45 → 2
  })
  it('fractional fit points too, and total is the sum of the rounded parts', () => {
    const r = score(gridWith([fitRule('a', 2.5), viewsRule('e', 2.5)]), { events: views(1) })
    expect(r).toMatchObject({ fit: 3, engagement: 3, total: 6 })
  })
  it('guards against floating noise (0.1 + 0.2 style sums land on the intended half)', () => {
    const r = score(gridWith([fitRule('a', 0.1), fitRule('b', 0.2), fitRule('c', 0.2)]))
    expect(r.fit).toBe(1) // 0.5 → 1, although 0.1 + 0.2 + 0.2 = 0.5000000000000001 or 0.49999… depending on order
    const n = score(gridWith([fitRule('a', -0.1), fitRule('b', -0.2), fitRule('c', -0.2)]))
    expect(n.fit).toBe(-1)
  })
  it('never returns −0', () => {
    expect(Object.is(score(gridWith([fitRule('a', -0.4)])).fit, 0)).toBe(true)
  })
})

describe('clamping', () => {
  it('clamps the total, not fit and engagement', () => {
    const grid = gridWith([fitRule('a', 80), viewsRule('e', 50)], { minScore: 0, maxScore: 100 })
    expect(score(grid, { events: views(1) })).toMatchObject({
      fit: 80,
      engagement: 50,
      total: 100,
      grade: 'A1',
    })
    const low = gridWith([fitRule('a', -80)], { minScore: -50 })
    expect(score(low)).toMatchObject({ fit: -80, total: -50, band: 'cold' })
  })
})

describe('band and grade', () => {
  const total = (points: number) => score(gridWith([fitRule('a', points)]))
  it('cold below warm, warm below hot, hot from hot', () => {
    expect(total(39).band).toBe('cold')
    expect(total(40).band).toBe('warm')
    expect(total(79).band).toBe('warm')
    expect(total(80).band).toBe('hot')
  })
  it('grade: fit letter (A ≥ 15, B ≥ 5) × engagement digit (1 ≥ 50, 2 ≥ 20)', () => {
    const grade = (fit: number, engagement: number) =>
      score(gridWith([fitRule('f', fit), viewsRule('e', engagement)]), { events: views(1) }).grade
    expect(grade(15, 50)).toBe('A1')
    expect(grade(14, 49)).toBe('B2')
    expect(grade(5, 20)).toBe('B2')
    expect(grade(4, 19)).toBe('C3')
    expect(grade(-30, -30)).toBe('C3')
    expect(grade(100, 20)).toBe('A2')
  })
  it('uses the grid thresholds', () => {
    const grid = gridWith([fitRule('a', 10)], {
      thresholds: { warm: 5, hot: 10 },
      grade: { fitA: 10, fitB: 1, engagement1: 1, engagement2: 0 },
    })
    expect(score(grid)).toMatchObject({ band: 'hot', grade: 'A2' })
  })
})

describe('MQL', () => {
  const at = (points: number, previous?: { mql: boolean; mqlSince?: string | null }) =>
    score(gridWith([fitRule('a', points)]), { previous })
  const nowIso = new Date(NOW).toISOString()
  it('without a previous status: total ≥ threshold', () => {
    expect(at(80)).toMatchObject({ mql: true, mqlSince: nowIso })
    expect(at(79)).toMatchObject({ mql: false, mqlSince: null })
  })
  it('previously MQL: stays MQL down to threshold − hysteresis, keeping its date', () => {
    const since = '2026-02-01T09:00:00.000Z'
    expect(at(70, { mql: true, mqlSince: since })).toMatchObject({ mql: true, mqlSince: since })
    expect(at(69, { mql: true, mqlSince: since })).toMatchObject({ mql: false, mqlSince: null })
    expect(at(95, { mql: true, mqlSince: since })).toMatchObject({ mql: true, mqlSince: since })
    expect(at(75, { mql: true })).toMatchObject({ mql: true, mqlSince: nowIso })
  })
  it('previously not MQL: becomes MQL only at the threshold', () => {
    expect(at(75, { mql: false })).toMatchObject({ mql: false })
    expect(at(80, { mql: false, mqlSince: null })).toMatchObject({ mql: true, mqlSince: nowIso })
  })
  it('uses the grid threshold and hysteresis', () => {
    const grid = gridWith([fitRule('a', 45)], { mqlThreshold: 50, mqlHysteresis: 5 })
    expect(score(grid, { previous: { mql: true } }).mql).toBe(true)
    expect(score(grid, { previous: { mql: false } }).mql).toBe(false)
  })
})

describe('contributions and reasons', () => {
  it('lists fired rules in grid order, reasons by |points| (ties in grid order)', () => {
    const grid = gridWith([
      fitRule('small', 5, { label: 'Small' }),
      viewsRule('views', 20, { per: 'day', label: 'Pricing page' }),
      fitRule('personal', -20, { label: 'Personal email' }),
      fitRule('never', 50, { when: { property: 'x', op: 'isKnown' } }),
      viewsRule('burst', 7, { label: 'Burst' }),
      fitRule('tie', 20, { label: 'Tie' }),
    ])
    const r = score(grid, { events: [pageView(ago(DAY)), pageView(ago(2 * DAY))] })
    expect(r.contributions.map((c) => c.ruleId)).toEqual(['small', 'views', 'personal', 'burst', 'tie'])
    expect(r.reasons).toBe(
      '+40 Pricing page (2 days) · −20 Personal email · +20 Tie · +14 Burst (2) · +5 Small',
    )
    expect(contribution(r, 'small')).toEqual({ ruleId: 'small', label: 'Small', kind: 'fit', points: 5 })
  })
  it('writes "(1 day)" in the singular and uses a real minus sign', () => {
    const r = score(gridWith([viewsRule('v', -3, { per: 'day', label: 'Support page' })]), {
      events: [pageView(ago(DAY))],
    })
    expect(r.reasons).toBe('\u22123 Support page (1 day)')
  })
  it('leaves out items that round to 0 but keeps them in contributions', () => {
    const r = score(gridWith([fitRule('tiny', 0.4), fitRule('big', 10)]))
    expect(r.reasons).toBe('+10 big')
    expect(contribution(r, 'tiny')?.points).toBe(0.4)
  })
  it('stays within 255 characters by dropping whole trailing items', () => {
    const label = (i: number) =>
      `Rule #${i} with a rather long label for a sales rep, who will not read it all`
    const rules = Array.from({ length: 12 }, (_, i) => fitRule(`r${i}`, 50 - i, { label: label(i) }))
    const r = score(gridWith(rules))
    expect(r.reasons.length).toBeLessThanOrEqual(MAX_REASONS_LENGTH)
    const items = r.reasons.split(' · ')
    expect(items.length).toBe(3)
    for (const [i, item] of items.entries()) expect(item).toBe(`+${50 - i} ${label(i)}`)
  })
  it('fits exactly 255 characters when it can', () => {
    const a = 'a'.repeat(80 - 4)
    const items = [
      { points: 3, label: a, unit: 'none' as const },
      { points: 2, label: a, unit: 'none' as const },
      { points: 1, label: 'b'.repeat(255 - 2 * 79 - 2 * 3 - 3), unit: 'none' as const },
    ]
    const text = formatReasons(items)
    expect(text.length).toBe(255)
    expect(
      formatReasons([...items.slice(0, 2), { ...items[2]!, label: `${items[2]!.label}b` }]).split(' · '),
    ).toHaveLength(2)
  })
  it('is empty when nothing fired', () => {
    expect(score(gridWith([])).reasons).toBe('')
  })
})

describe('inputs', () => {
  it('rejects a non-finite now', () => {
    expect(() => score(gridWith([]), { now: Number.NaN })).toThrow(/now/)
  })
  it('accepts prepared lists that were concatenated out of order', async () => {
    const { compileGrid, evaluate, prepareEvents } = await import('../../../src/scoring/index.js')
    const grid = gridWith([viewsRule('v', 10, { per: 'day', maxCount: 1, label: 'V' })])
    const events = [
      ...prepareEvents([pageView(ago(DAY))]),
      ...prepareEvents([pageView(ago(3 * DAY))]),
    ].reverse()
    const r = evaluate(compileGrid(grid), { profile: {}, createdAt: NOW, events }, NOW)
    expect(contribution(r, 'v')?.evidence).toEqual([new Date(NOW - DAY).toISOString().slice(0, 10)])
  })
})
