/**
 * Rule kinds and their edges: windows (exactly at now − D and at now), future events, UTC days,
 * distinct keys, maxCount, decay, frequency, streaks, inactivity.
 */
import { describe, expect, it } from 'vitest'
import { ago, contribution, DAY, event, gridWith, HOUR, iso, NOW, pageView, score } from './helpers.js'

const views = { types: ['page.viewed'] }
const engagement = (extra: Record<string, unknown> = {}) =>
  gridWith([{ id: 'r', label: 'Views', kind: 'engagement', points: 10, events: views, ...extra }])
const countOf = (grid: ReturnType<typeof gridWith>, events: ReturnType<typeof pageView>[], now = NOW) =>
  contribution(score(grid, { events, now }), 'r')?.count ?? 0

describe('windows', () => {
  it('lookback: now − 90 days is out, one ms later is in; now is in, one ms later is out', () => {
    const grid = engagement()
    expect(countOf(grid, [pageView(ago(90 * DAY))])).toBe(0)
    expect(countOf(grid, [pageView(ago(90 * DAY - 1))])).toBe(1)
    expect(countOf(grid, [pageView(iso(NOW))])).toBe(1)
    expect(countOf(grid, [pageView(iso(NOW + 1))])).toBe(0)
  })
  it('withinDays narrows the window the same way', () => {
    const grid = engagement({ withinDays: 7 })
    expect(countOf(grid, [pageView(ago(7 * DAY))])).toBe(0)
    expect(countOf(grid, [pageView(ago(7 * DAY - 1))])).toBe(1)
  })
  it('a fractional window (48 hours = 2 days)', () => {
    const grid = engagement({ withinDays: 0.5 })
    expect(countOf(grid, [pageView(ago(12 * HOUR))])).toBe(0)
    expect(countOf(grid, [pageView(ago(11 * HOUR))])).toBe(1)
  })
  it('lookbackDays of the grid bounds everything', () => {
    const grid = gridWith([{ id: 'r', label: 'V', kind: 'engagement', points: 10, events: views }], {
      lookbackDays: 10,
    })
    expect(countOf(grid, [pageView(ago(10 * DAY)), pageView(ago(9 * DAY))])).toBe(1)
  })
})

describe('engagement counting', () => {
  it('per occurrence counts every matching event, duplicates included (the service dedupes first)', () => {
    const at = ago(DAY)
    expect(countOf(engagement(), [pageView(at), pageView(at), pageView(ago(2 * DAY))])).toBe(3)
    expect(score(engagement(), { events: [pageView(at), pageView(at)] }).engagement).toBe(20)
  })
  it('per day counts distinct UTC calendar days', () => {
    const grid = engagement({ per: 'day' })
    const lastMs = Date.parse('2026-03-30T23:59:59.999Z')
    const midnight = Date.parse('2026-03-31T00:00:00.000Z')
    expect(countOf(grid, [pageView(iso(lastMs)), pageView(iso(midnight))])).toBe(2)
    expect(countOf(grid, [pageView('2026-03-30T00:00:00Z'), pageView(iso(lastMs))])).toBe(1)
    // 23:30 at UTC−01:00 is 00:30 UTC the next day.
    expect(countOf(grid, [pageView('2026-03-30T23:30:00-01:00'), pageView('2026-03-31T01:00:00Z')])).toBe(1)
  })
  it('per day evidence lists the days, newest first', () => {
    const r = score(engagement({ per: 'day' }), {
      events: [pageView('2026-03-29T10:00:00Z'), pageView('2026-03-31T10:00:00Z')],
    })
    expect(contribution(r, 'r')).toMatchObject({
      count: 2,
      points: 20,
      evidence: ['2026-03-31', '2026-03-29'],
    })
  })
  it('maxCount caps the count and keeps the most recent units', () => {
    const grid = engagement({ per: 'day', maxCount: 2, halfLifeDays: 10 })
    const r = score(grid, {
      events: [pageView(ago(1 * DAY)), pageView(ago(20 * DAY)), pageView(ago(10 * DAY))],
    })
    const c = contribution(r, 'r')
    expect(c?.count).toBe(2)
    // The kept units are 1 and 10 days old: 10·0.5^(1/10) + 10·0.5^(10/10).
    expect(c?.points).toBeCloseTo(10 * 0.5 ** 0.1 + 5, 2)
  })
  it('per distinct key counts normalized values, and keyless matches are each their own unit', () => {
    const grid = engagement({ per: { distinct: 'title' } })
    const events = [
      event('page.viewed', ago(DAY), { url: '/a', title: 'Pricing' }),
      event('page.viewed', ago(2 * DAY), { url: '/b', title: 'PRICING' }),
      event('page.viewed', ago(3 * DAY), { url: '/c', title: 'Blog' }),
      event('page.viewed', ago(4 * DAY), { url: '/d' }),
      event('page.viewed', ago(5 * DAY), { url: '/e', title: '  ' }),
    ]
    expect(countOf(grid, events)).toBe(4)
  })
  it('per distinct derived key: url.path and the asset of downloads and forms', () => {
    const paths = engagement({ per: { distinct: 'url.path' } })
    expect(
      countOf(paths, [
        pageView(ago(DAY), 'https://a.io/Pricing?x=1'),
        pageView(ago(2 * DAY), '/pricing#y'),
        pageView(ago(3 * DAY), '/blog'),
      ]),
    ).toBe(2)
    const assets = gridWith([
      {
        id: 'r',
        label: 'Assets',
        kind: 'engagement',
        points: 10,
        per: { distinct: 'asset' },
        events: { types: ['asset.downloaded', 'form.submitted'] },
      },
    ])
    const events = [
      event('asset.downloaded', ago(DAY), { assetId: 'x1', assetName: 'A' }),
      event('asset.downloaded', ago(2 * DAY), { assetId: 'X1', assetName: 'A again' }),
      event('form.submitted', ago(DAY), { formId: 'x1', formName: 'F' }),
      event('form.submitted', ago(DAY), { formName: 'G' }),
      event('form.submitted', ago(2 * DAY), { formName: 'g' }),
    ]
    expect(contribution(score(assets, { events }), 'r')?.count).toBe(3)
  })
  it('per distinct with many keys (past the linear-scan size) still counts each once', () => {
    const grid = engagement({ per: { distinct: 'url.path' } })
    const views = Array.from({ length: 120 }, (_, i) => pageView(ago((i % 80) * HOUR + 1), `/p/${i % 70}`))
    expect(countOf(grid, views)).toBe(70)
    expect(countOf(grid, views.slice(0, 10))).toBe(10)
  })
  it('decay: each unit is worth points × 0.5^(age / halfLife), age from its newest match', () => {
    const grid = engagement({ per: 'day', halfLifeDays: 7 })
    const r = score(grid, { events: [pageView(ago(7 * DAY)), pageView(ago(7 * DAY - HOUR))] })
    // Both views fall on one UTC day; the unit's age is that of the newer view (7 days − 1 hour).
    expect(contribution(r, 'r')?.points).toBeCloseTo(10 * 0.5 ** ((7 * DAY - HOUR) / DAY / 7), 2)
    expect(score(engagement({ halfLifeDays: 7 }), { events: [pageView(ago(14 * DAY))] }).engagement).toBe(3) // 2.5 → 3
    expect(score(engagement({ halfLifeDays: 7 }), { events: [pageView(iso(NOW))] }).engagement).toBe(10)
  })
  it('contribution points are rounded to 2 decimals for display', () => {
    const r = score(engagement({ halfLifeDays: 3 }), { events: [pageView(ago(DAY))] })
    expect(contribution(r, 'r')?.points).toBe(7.94) // 10 · 0.5^(1/3) = 7.937…
    expect(r.engagement).toBe(8)
  })
})

describe('frequency', () => {
  const freq = (extra: Record<string, unknown> = {}) =>
    gridWith([
      {
        id: 'r',
        label: 'Pricing burst',
        kind: 'frequency',
        points: 15,
        events: views,
        atLeast: 3,
        withinDays: 2,
        ...extra,
      },
    ])
  it('awards its points once when at least N matches fall in the window', () => {
    const three = [pageView(ago(HOUR)), pageView(ago(DAY)), pageView(ago(2 * DAY - 1))]
    expect(score(freq(), { events: three }).engagement).toBe(15)
    expect(score(freq(), { events: [...three, pageView(ago(3 * HOUR))] }).engagement).toBe(15)
    expect(contribution(score(freq(), { events: three }), 'r')?.count).toBe(3)
  })
  it('does not award below N, nor with a match exactly at now − D', () => {
    expect(
      score(freq(), { events: [pageView(ago(HOUR)), pageView(ago(DAY)), pageView(ago(2 * DAY))] }).engagement,
    ).toBe(0)
  })
  it('counts an exact replay once', () => {
    const at = ago(HOUR)
    expect(score(freq(), { events: [pageView(at), pageView(at), pageView(at)] }).engagement).toBe(0)
  })
  it('can count days instead of events', () => {
    const grid = freq({ per: 'day', atLeast: 2, withinDays: 7 })
    expect(
      score(grid, { events: [pageView('2026-03-31T01:00:00Z'), pageView('2026-03-31T02:00:00Z')] })
        .engagement,
    ).toBe(0)
    expect(
      score(grid, { events: [pageView('2026-03-30T01:00:00Z'), pageView('2026-03-31T02:00:00Z')] })
        .engagement,
    ).toBe(15)
  })
})

describe('streak', () => {
  const grid = gridWith([
    { id: 's', label: 'Newsletter streak', kind: 'streak', points: 15, length: 3, category: 'newsletter' },
  ])
  const delivered = (id: string, age: number, category = 'newsletter') =>
    event('email.delivered', ago(age), { campaignId: id, campaignName: `NL ${id}`, category })
  const opened = (id: string, age: number, category: string | undefined = 'newsletter') =>
    event('email.opened', ago(age), category ? { campaignId: id, category } : { campaignId: id })
  const streak = (events: ReturnType<typeof event>[]) => score(grid, { events }).engagement

  it('awards when each of the 3 most recent deliveries was opened', () => {
    const events = [
      delivered('a', 30 * DAY),
      delivered('b', 20 * DAY),
      delivered('c', 10 * DAY),
      opened('a', 29 * DAY),
      opened('b', 19 * DAY),
      opened('c', 9 * DAY),
    ]
    expect(streak(events)).toBe(15)
    expect(contribution(score(grid, { events }), 's')).toMatchObject({
      count: 3,
      evidence: ['NL c', 'NL b', 'NL a'],
    })
  })
  it('only the 3 most recent count: an older unopened one does not matter, a newer one does', () => {
    const opens = [opened('a', 29 * DAY), opened('b', 19 * DAY), opened('c', 9 * DAY)]
    expect(
      streak([
        delivered('old', 40 * DAY),
        delivered('a', 30 * DAY),
        delivered('b', 20 * DAY),
        delivered('c', 10 * DAY),
        ...opens,
      ]),
    ).toBe(15)
    expect(
      streak([
        delivered('a', 30 * DAY),
        delivered('b', 20 * DAY),
        delivered('c', 10 * DAY),
        delivered('new', DAY),
        ...opens,
      ]),
    ).toBe(0)
  })
  it('an open without a category still counts (the campaign id ties it to its delivery)', () => {
    const events = [
      delivered('a', 3 * DAY),
      delivered('b', 2 * DAY),
      delivered('c', DAY),
      opened('a', DAY, undefined),
      opened('b', DAY),
      opened('c', DAY),
    ]
    expect(streak(events)).toBe(15)
  })
  it('deliveries of other categories are ignored', () => {
    const events = [
      delivered('a', 3 * DAY),
      delivered('x', 2.5 * DAY, 'nurture'),
      delivered('b', 2 * DAY),
      delivered('c', DAY),
      opened('a', DAY),
      opened('b', DAY),
      opened('c', DAY),
    ]
    expect(streak(events)).toBe(15)
  })
  it('does not award with 1 or 2 deliveries, even with many opens', () => {
    const opens = [opened('a', DAY), opened('b', DAY), opened('c', DAY), opened('d', DAY)]
    expect(streak([delivered('a', 2 * DAY), ...opens])).toBe(0)
    expect(streak([delivered('a', 2 * DAY), delivered('b', 2 * DAY), ...opens])).toBe(0)
  })
  it('with no delivery at all, 3 distinct opened campaigns of the category count instead', () => {
    expect(streak([opened('a', 3 * DAY), opened('b', 2 * DAY), opened('c', DAY)])).toBe(15)
    expect(streak([opened('a', 3 * DAY), opened('a', 2 * DAY), opened('c', DAY)])).toBe(0)
    expect(streak([opened('a', 3 * DAY), opened('b', 2 * DAY), opened('c', DAY, 'sales')])).toBe(0)
  })
  it('deliveries and opens outside the lookback or after now do not count', () => {
    const opens = [opened('a', DAY), opened('b', DAY), opened('c', DAY)]
    expect(
      streak([delivered('a', 90 * DAY), delivered('b', 2 * DAY), delivered('c', 2 * DAY), ...opens]),
    ).toBe(0)
    expect(
      streak([
        delivered('a', 3 * DAY),
        delivered('b', 2 * DAY),
        delivered('c', 2 * DAY),
        opened('a', -HOUR),
        opened('b', DAY),
        opened('c', DAY),
      ]),
    ).toBe(0)
  })
})

describe('inactivity', () => {
  const grid = gridWith([{ id: 'i', label: 'Inactive 30 days', kind: 'inactivity', points: -30, days: 30 }])
  const inactive = (events: ReturnType<typeof event>[], createdAt = NOW - 200 * DAY) =>
    score(grid, { events, createdAt }).engagement
  it('awards when the newest activity is strictly more than D days old', () => {
    expect(inactive([pageView(ago(30 * DAY))])).toBe(0)
    expect(inactive([pageView(ago(30 * DAY + 1))])).toBe(-30)
    expect(inactive([pageView(ago(45 * DAY)), pageView(ago(2 * DAY))])).toBe(0)
  })
  it('email.delivered is not activity; every other type is', () => {
    expect(inactive([pageView(ago(45 * DAY)), event('email.delivered', ago(DAY), { campaignId: 'x' })])).toBe(
      -30,
    )
    expect(inactive([event('email.opened', ago(DAY), { campaignId: 'x' })])).toBe(0)
    expect(inactive([event('custom', ago(DAY), { name: 'login' })])).toBe(0)
  })
  it('falls back to first-seen when no activity is within the lookback', () => {
    expect(inactive([], NOW - 10 * DAY)).toBe(0)
    expect(inactive([], NOW - 30 * DAY)).toBe(0)
    expect(inactive([], NOW - 30 * DAY - 1)).toBe(-30)
    expect(inactive([pageView(ago(95 * DAY))], NOW - 100 * DAY)).toBe(-30)
  })
  it('ignores activity after now (a backtest never peeks at the future)', () => {
    expect(inactive([pageView(ago(45 * DAY)), pageView(iso(NOW + HOUR))])).toBe(-30)
  })
  it('says when the last activity was', () => {
    const r = score(grid, { events: [pageView('2026-02-14T12:00:00Z')] })
    expect(contribution(r, 'i')).toMatchObject({
      kind: 'inactivity',
      points: -30,
      evidence: ['last activity 2026-02-14'],
    })
    expect(
      contribution(score(grid, { createdAt: Date.parse('2026-01-01T00:00:00Z') }), 'i')?.evidence,
    ).toEqual(['no activity since first seen 2026-01-01'])
  })
  it('counts as engagement', () => {
    expect(score(grid, { events: [], createdAt: NOW - 40 * DAY })).toMatchObject({
      fit: 0,
      engagement: -30,
      total: -30,
    })
  })
})

describe('future events', () => {
  it('never count, whatever the rule', () => {
    const grid = engagement({ per: 'day' })
    expect(countOf(grid, [pageView(iso(NOW + DAY)), pageView(iso(NOW + 1))])).toBe(0)
  })
})
