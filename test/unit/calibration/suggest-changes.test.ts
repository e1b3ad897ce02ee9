/**
 * The suggested rules and their words: re-weighted on the new scale, spread over the average count
 * for a rule counted per occurrence, dropped when worth 0, kept as is when too few leads matched,
 * and "any <type> event" rules added — each change readable by a RevOps person.
 */
import { describe, expect, it } from 'vitest'
import { type Case, ruleChanges } from '../../../src/calibration/suggest-changes.js'
import type { Rule } from '../../../src/scoring/schema.js'

const rules: Rule[] = [
  {
    id: 'ceo',
    label: 'CEO',
    kind: 'fit',
    points: 50,
    when: { property: 'jobtitle', op: 'eq', value: 'CEO' },
  },
  {
    id: 'pricing',
    label: 'Pricing page',
    kind: 'engagement',
    points: 20,
    per: 'occurrence',
    events: { types: ['page.viewed'] },
  },
  {
    id: 'rare',
    label: 'Rare title',
    kind: 'fit',
    points: 15,
    when: { property: 'jobtitle', op: 'eq', value: 'Rare' },
  },
]

function lead(i: number): Case {
  const hits = new Map<string, number>()
  if (i % 2 === 0) hits.set('ceo', 1)
  if (i % 4 === 0) hits.set('pricing', 2)
  if (i === 1) hits.set('rare', 1)
  return {
    contactId: `c${i}`,
    email: null,
    decidedAt: new Date(0),
    converted: i % 4 === 0,
    profile: {},
    createdAt: 0,
    events:
      i % 8 === 0
        ? [{ type: 'meeting.booked', occurredAt: '2026-01-01T00:00:00Z', attributes: {} } as never]
        : [],
    hits,
  }
}

describe('ruleChanges', () => {
  it('re-weights, spreads per-occurrence points, drops zeros, keeps rare rules and adds event rules', () => {
    const train = Array.from({ length: 40 }, (_, i) => lead(i))
    const { kept, added, changes } = ruleChanges({
      rules,
      train,
      // CEO worth nothing, pricing 3 units of log-odds (each lead with it viewed twice), meetings 1.
      weights: Float64Array.from([0.01, 3, 5, 1]),
      scale: 10,
      eventTypes: ['meeting.booked'],
      baseRate: 0.25,
      profilePart: { grid: { rules: [] } as never, rules: [] },
    })
    expect(changes.map((c) => c.explanation)).toEqual([
      'CEO +50 → dropped: converts 2.0× more than average (50 % of 20 leads converted); worth nothing once the other criteria are counted (its leads already have them)',
      'Pricing page +20 → +15 each: converts 4.0× more than average (100 % of 10 leads converted)',
      'Rare title +15 → +15: too few leads with it (1) to judge: kept as is',
      'Any meeting.booked event (new) +10: converts 4.0× more than average (100 % of 5 leads converted)',
    ])
    expect(kept.map((r) => [r.id, r.points])).toEqual([
      ['pricing', 15],
      ['rare', 15],
    ])
    expect(added[0]).toMatchObject({
      kind: 'engagement',
      events: { types: ['meeting.booked'] },
      maxCount: 1,
      points: 10,
    })
  })
})
