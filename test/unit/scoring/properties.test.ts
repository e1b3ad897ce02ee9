/**
 * Properties of the engine (fast-check): order of events irrelevant; replays never change a
 * per-day, distinct, streak, frequency or inactivity outcome; events after `now` change nothing;
 * evaluation is deterministic.
 *
 * Note: `per: occurrence` engagement rules DO count a replayed event twice — the ingestion service
 * dedupes events (dedupe key) before they reach the engine — so the replay property is checked on
 * a grid without such rules.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { LeadEvent } from '../../../src/domain/lead-event.js'
import {
  compileGrid,
  evaluate,
  prepareEvents,
  type ScoreResult,
  starterGrid,
} from '../../../src/scoring/index.js'
import { DAY, gridWith, iso, NOW } from './helpers.js'

// The Starter grid (distinct, per-day, streak, inactivity) plus a frequency rule and a decayed per-day rule.
const grid = gridWith([
  ...starterGrid.rules,
  {
    id: 'burst',
    label: 'Pricing burst',
    kind: 'frequency',
    points: 10,
    atLeast: 3,
    withinDays: 7,
    events: starterGrid.rules[1]!.kind === 'engagement' ? starterGrid.rules[1]!.events : [],
  },
  {
    id: 'webinars',
    label: 'Webinars',
    kind: 'engagement',
    points: 12,
    per: { distinct: 'eventId' },
    halfLifeDays: 20,
    events: { types: ['webinar.attended', 'webinar.registered'] },
  },
  {
    id: 'visits',
    label: 'Visits',
    kind: 'engagement',
    points: 3,
    per: 'day',
    maxCount: 5,
    halfLifeDays: 10,
    withinDays: 30,
    events: { types: ['page.viewed'] },
  },
])
const compiled = compileGrid(grid)

const instant = fc.oneof(
  fc.integer({ min: NOW - 100 * DAY, max: NOW }),
  // window and day edges
  fc.constantFrom(
    NOW,
    NOW - 90 * DAY,
    NOW - 90 * DAY + 1,
    NOW - 30 * DAY,
    NOW - 7 * DAY,
    Date.parse('2026-03-31T00:00:00Z'),
    Date.parse('2026-03-30T23:59:59.999Z'),
  ),
)
const campaign = fc.constantFrom('nl-1', 'nl-2', 'nl-3', 'nl-4')
const category = fc.constantFrom('newsletter', 'newsletter', 'nurture')
const eventAt = (at: fc.Arbitrary<number>): fc.Arbitrary<LeadEvent> =>
  fc.oneof(
    fc.record({
      type: fc.constant('page.viewed' as const),
      occurredAt: at.map(iso),
      attributes: fc.record({
        url: fc.constantFrom('/pricing', '/fr/tarifs', '/blog/x', 'https://a.io/produits?x=1'),
      }),
    }),
    fc.record({
      type: fc.constantFrom('email.delivered' as const, 'email.opened' as const),
      occurredAt: at.map(iso),
      attributes: fc.record({ campaignId: campaign, category }),
    }),
    fc.record({
      type: fc.constant('asset.downloaded' as const),
      occurredAt: at.map(iso),
      attributes: fc.record(
        {
          assetId: fc.constantFrom('a', 'b', 'c'),
          assetName: fc.constantFrom('A', 'B'),
          assetType: fc.constantFrom('whitepaper', 'ebook'),
        },
        { requiredKeys: ['assetType'] },
      ),
    }),
    fc.record({
      type: fc.constant('form.submitted' as const),
      occurredAt: at.map(iso),
      attributes: fc.record({ formName: fc.constantFrom('White paper', 'Contact', 'Livre blanc') }),
    }),
    fc.record({
      type: fc.constantFrom('webinar.attended' as const, 'webinar.registered' as const),
      occurredAt: at.map(iso),
      attributes: fc.record({ eventId: fc.constantFrom('w1', 'w2') }, { requiredKeys: [] }),
    }),
    fc.record({
      type: fc.constant('custom' as const),
      occurredAt: at.map(iso),
      attributes: fc.record({ name: fc.constantFrom('login', 'trial') }),
    }),
  )
const events = fc.array(eventAt(instant), { maxLength: 25 })
const profile = fc.record({
  email: fc.constantFrom('a@gmail.com', 'b@acme.io', null),
  jobtitle: fc.constantFrom('CEO', 'Analyst', 'Head of Sales', null),
  company_size: fc.constantFrom(10, 51, '1,000', null),
  industry: fc.constantFrom('Retail', 'Internet', null),
})
const createdAt = fc.integer({ min: NOW - 200 * DAY, max: NOW })

const run = (p: Record<string, unknown>, list: LeadEvent[], created: number, now = NOW): ScoreResult =>
  evaluate(
    compiled,
    { profile: p as Record<string, string | number | null>, createdAt: created, events: prepareEvents(list) },
    now,
  )

describe('engine properties', () => {
  it('the order of events is irrelevant', () => {
    fc.assert(
      fc.property(profile, events, createdAt, fc.func(fc.integer()), (p, list, created, key) => {
        const shuffled = [...list].sort(
          (a, b) =>
            key(a.occurredAt + a.type + JSON.stringify(a.attributes)) -
            key(b.occurredAt + b.type + JSON.stringify(b.attributes)),
        )
        expect(run(p, shuffled, created)).toEqual(run(p, list, created))
      }),
      { numRuns: 300 },
    )
  })

  it('replaying events never changes a per-day, distinct, streak, frequency or inactivity outcome', () => {
    fc.assert(
      fc.property(
        profile,
        events,
        createdAt,
        fc.array(fc.nat(), { maxLength: 10 }),
        (p, list, created, picks) => {
          fc.pre(list.length > 0)
          const replays = picks.map((i) => structuredClone(list[i % list.length]!))
          expect(run(p, [...list, ...replays], created)).toEqual(run(p, list, created))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('events after now change nothing', () => {
    fc.assert(
      fc.property(
        profile,
        events,
        createdAt,
        fc.array(eventAt(fc.integer({ min: NOW + 1, max: NOW + 30 * DAY })), { minLength: 1, maxLength: 10 }),
        (p, list, created, future) => {
          expect(run(p, [...list, ...future], created)).toEqual(run(p, list, created))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('evaluation is deterministic (same inputs, same output, across compilations and calls)', () => {
    fc.assert(
      fc.property(profile, events, createdAt, instant, (p, list, created, now) => {
        const prepared = prepareEvents(list)
        const a = evaluate(
          compiled,
          { profile: p as Record<string, string | number | null>, createdAt: created, events: prepared },
          now,
        )
        const b = evaluate(
          compileGrid(structuredClone(grid)),
          {
            profile: { ...p } as Record<string, string | number | null>,
            createdAt: created,
            events: prepared,
          },
          now,
        )
        expect(b).toEqual(a)
        expect(JSON.stringify(b)).toBe(JSON.stringify(a))
      }),
      { numRuns: 200 },
    )
  })

  it('contributions add up to fit and engagement (before rounding), reasons stay ≤ 255 characters', () => {
    fc.assert(
      fc.property(profile, events, createdAt, (p, list, created) => {
        const r = run(p, list, created)
        const sum = r.contributions.reduce((s, c) => s + c.points, 0)
        expect(Math.abs(sum - (r.fit + r.engagement))).toBeLessThanOrEqual(1 + r.contributions.length * 0.005)
        expect(r.reasons.length).toBeLessThanOrEqual(255)
      }),
      { numRuns: 200 },
    )
  })
})
