/**
 * Grid validation: defaults, and errors that name their path (the API returns them as 400s).
 */
import { describe, expect, it } from 'vitest'
import { gridSchema, parseGrid, starterGrid } from '../../../src/scoring/index.js'

const sizeRule = (extra: Record<string, unknown> = {}) => ({
  id: 'size',
  label: 'Size',
  kind: 'fit',
  points: 10,
  when: { property: 'company_size', op: 'gt', value: 50 },
  ...extra,
})

function issues(input: unknown): { path: string; message: string }[] {
  const r = parseGrid(input)
  if (r.ok) throw new Error('expected the grid to be rejected')
  return r.issues
}
const paths = (input: unknown) => issues(input).map((i) => i.path)

describe('grid schema', () => {
  it('fills the defaults of SPEC §4', () => {
    const grid = gridSchema.parse({ name: 'g', rules: [] })
    expect(grid).toMatchObject({
      schemaVersion: 1,
      lookbackDays: 90,
      thresholds: { warm: 40, hot: 80 },
      grade: { fitA: 15, fitB: 5, engagement1: 50, engagement2: 20 },
      mqlThreshold: 80,
      mqlHysteresis: 10,
    })
    expect(gridSchema.parse({ name: 'g', thresholds: { warm: 30 }, rules: [] }).thresholds).toEqual({
      warm: 30,
      hot: 80,
    })
  })

  it('accepts the starter grid as a round trip', () => {
    expect(gridSchema.parse(JSON.parse(JSON.stringify(starterGrid)))).toEqual(starterGrid)
  })

  it('names the path of a bad operand deep inside a condition', () => {
    const r = issues({
      name: 'g',
      rules: [
        sizeRule({
          when: {
            all: [{ property: 'x', op: 'isKnown' }, { any: [{ property: 'y', op: 'gt', value: 'ten' }] }],
          },
        }),
      ],
    })
    expect(r).toEqual([
      { path: 'rules.0.when.all.1.any.0.value', message: expect.stringContaining('number') },
    ])
  })

  it('names an unknown operator at its "op"', () => {
    const [first] = issues({
      name: 'g',
      rules: [sizeRule({ when: { property: 'x', op: 'greaterThan', value: 1 } })],
    })
    expect(first?.path).toBe('rules.0.when.op')
    expect(first?.message).toMatch(/unknown op "greaterThan"/)
  })

  it('rejects misspelt keys instead of ignoring them', () => {
    expect(
      issues({
        name: 'g',
        rules: [
          {
            id: 'p',
            label: 'P',
            kind: 'engagement',
            points: 5,
            events: { types: ['page.viewed'] },
            maxcount: 3,
          },
        ],
      }),
    ).toEqual([{ path: 'rules.0', message: expect.stringContaining('maxcount') }])
  })

  it('uses "attribute" in event conditions and "property" in fit conditions', () => {
    expect(issues({ name: 'g', rules: [sizeRule({ when: { attribute: 'x', op: 'isKnown' } })] })).toEqual([
      {
        path: 'rules.0.when.attribute',
        message: 'use "property" here: fit conditions test profile properties',
      },
    ])
    expect(
      paths({
        name: 'g',
        rules: [
          {
            id: 'e',
            label: 'E',
            kind: 'engagement',
            points: 1,
            events: { types: ['page.viewed'], where: { property: 'url', op: 'isKnown' } },
          },
        ],
      }),
    ).toEqual(['rules.0.events.where.property'])
  })

  it('names bad event types and bad "per"', () => {
    expect(
      paths({
        name: 'g',
        rules: [
          {
            id: 'a',
            label: 'A',
            kind: 'engagement',
            points: 1,
            events: [{ types: ['page.viewed'] }, { types: ['page.visit'] }],
          },
          {
            id: 'b',
            label: 'B',
            kind: 'engagement',
            points: 1,
            events: { types: ['page.viewed'] },
            per: 'week',
          },
          {
            id: 'c',
            label: 'C',
            kind: 'engagement',
            points: 1,
            events: { types: ['page.viewed'] },
            per: { distinct: '' },
          },
        ],
      }),
    ).toEqual(['rules.0.events.1.types.0', 'rules.1.per', 'rules.2.per.distinct'])
  })

  it('names an unknown rule kind', () => {
    expect(paths({ name: 'g', rules: [{ id: 'a', label: 'A', kind: 'score', points: 1 }] })).toEqual([
      'rules.0.kind',
    ])
  })

  it('rejects unsafe or invalid regexes at validation', () => {
    const when = (value: string) => ({ property: 'jobtitle', op: 'matches', value })
    for (const bad of [
      '(a+)+$',
      '(x+x+)+y',
      '(a|ab)*c',
      '(\\w+\\s?)+$',
      '(a)\\1',
      '[unclosed',
      'a'.repeat(201),
      '',
    ]) {
      expect(issues({ name: 'g', rules: [sizeRule({ when: when(bad) })] })[0]?.path, bad).toBe(
        'rules.0.when.value',
      )
    }
    for (const good of ['white ?paper|livre blanc', '^vp\\b', '(?:pricing|tarifs?)$', 'a{1,30}', '(a|b)?c']) {
      expect(parseGrid({ name: 'g', rules: [sizeRule({ when: when(good) })] }).ok, good).toBe(true)
    }
  })

  it('limits condition nesting depth', () => {
    let deep: unknown = { property: 'x', op: 'isKnown' }
    for (let i = 0; i < 200; i++) deep = { not: deep }
    expect(issues({ name: 'g', rules: [sizeRule({ when: deep })] })).toEqual([
      { path: 'rules.0.when', message: expect.stringMatching(/at most 8 levels/) },
    ])
  })

  it('requires unique rule ids and existing groups', () => {
    expect(
      issues({
        name: 'g',
        groups: [{ id: 'content', label: 'Content' }],
        rules: [sizeRule(), sizeRule(), sizeRule({ id: 'x', group: 'nope' })],
      }),
    ).toEqual([
      { path: 'rules.1.id', message: 'duplicate rule id "size" (first used by rules.0)' },
      { path: 'rules.2.group', message: 'unknown group "nope"' },
    ])
    expect(
      paths({
        name: 'g',
        groups: [
          { id: 'a', label: 'A' },
          { id: 'a', label: 'B' },
        ],
        rules: [],
      }),
    ).toEqual(['groups.1.id'])
  })

  it('rejects a group mixing fit and engagement rules', () => {
    const r = issues({
      name: 'g',
      groups: [{ id: 'mixed', label: 'Mixed', maxPoints: 20 }],
      rules: [
        sizeRule({ group: 'mixed' }),
        { id: 'idle', label: 'Idle', kind: 'inactivity', points: -5, days: 30, group: 'mixed' },
      ],
    })
    expect(r).toEqual([
      {
        path: 'groups.0',
        message: expect.stringMatching(/mixes a fit rule \("size"\) and an engagement rule \("idle"\)/),
      },
    ])
  })

  it('group caps: maxPoints ≥ 0 and minPoints ≤ 0', () => {
    expect(
      paths({ name: 'g', groups: [{ id: 'a', label: 'A', maxPoints: -5, minPoints: 5 }], rules: [] }),
    ).toEqual(['groups.0.maxPoints', 'groups.0.minPoints'])
  })

  it('rejects (does not clamp) a rule window wider than the lookback', () => {
    const r = issues({
      name: 'g',
      lookbackDays: 60,
      rules: [
        {
          id: 'a',
          label: 'A',
          kind: 'engagement',
          points: 1,
          events: { types: ['page.viewed'] },
          withinDays: 61,
        },
        {
          id: 'b',
          label: 'B',
          kind: 'frequency',
          points: 1,
          events: { types: ['page.viewed'] },
          atLeast: 3,
          withinDays: 90,
        },
        { id: 'c', label: 'C', kind: 'inactivity', points: -1, days: 61 },
        {
          id: 'd',
          label: 'D',
          kind: 'engagement',
          points: 1,
          events: { types: ['page.viewed'] },
          withinDays: 60,
        },
      ],
    })
    expect(r.map((i) => i.path)).toEqual(['rules.0.withinDays', 'rules.1.withinDays', 'rules.2.days'])
    expect(r[0]?.message).toMatch(/must be ≤ lookbackDays \(60\)/)
  })

  it('checks thresholds are ordered', () => {
    expect(
      paths({
        name: 'g',
        thresholds: { warm: 90, hot: 80 },
        grade: { fitA: 1, fitB: 5, engagement1: 10, engagement2: 20 },
        minScore: 10,
        maxScore: 0,
        rules: [],
      }),
    ).toEqual(['thresholds.hot', 'grade.fitA', 'grade.engagement1', 'maxScore'])
  })

  it('validates rule ids, labels and points', () => {
    expect(
      paths({
        name: 'g',
        rules: [
          sizeRule({ id: 'has space' }),
          sizeRule({ id: 'ok', label: ' ' }),
          sizeRule({ id: 'p', points: Number.NaN }),
        ],
      }),
    ).toEqual(['rules.0.id', 'rules.1.label', 'rules.2.points'])
  })

  it('reports a non-object document at the root', () => {
    expect(paths('nope')).toEqual([''])
    expect(paths({ rules: [] })).toEqual(['name'])
  })
})
