/**
 * Calibration on synthetic leads with a known generating model (no dependence on ../shared): the
 * suggested integer grid, scored by the real engine on held-out rows, must rank leads within 0.02
 * AUC of an unconstrained logistic regression on the same features, and the grid must be valid and
 * explain itself.
 */
import { describe, expect, it } from 'vitest'
import {
  CalibrationInputError,
  calibrate,
  outcomeLabels,
  scoreRows,
} from '../../../src/calibration/calibrate.js'
import { parseCsv } from '../../../src/calibration/csv-table.js'
import { buildFeatureMap } from '../../../src/calibration/feature-map.js'
import { explain } from '../../../src/calibration/points.js'
import { compileGrid, evaluate, gridSchema } from '../../../src/scoring/index.js'
import { syntheticLeads } from './synthetic-leads.js'

const { csv } = syntheticLeads({ rows: 8_000, seed: 2026 })
const table = parseCsv(csv)
const options = { outcome: 'Won', id: 'Lead Id', missing: ['Select'] }

describe('calibrate on synthetic leads', () => {
  const result = calibrate(table.columns, table.rows, options)

  it('suggests an integer grid whose held-out AUC (engine-scored) is within 0.02 of the unconstrained regression', () => {
    expect(result.baselineAuc).toBeGreaterThan(0.7)
    expect(result.heldOutAuc).toBeGreaterThan(result.baselineAuc - 0.02)
    expect(result.rows).toMatchObject({ total: 8_000, train: 6_000, heldOut: 2_000 })
  })

  it('emits a valid grid with integer points, threshold 80, and no rule for a column without effect', () => {
    expect(gridSchema.safeParse(result.grid).success).toBe(true)
    expect(result.grid.mqlThreshold).toBe(80)
    for (const rule of result.grid.rules) expect(Number.isInteger(rule.points)).toBe(true)
    expect(result.grid.rules.some((r) => r.label.startsWith('Lead Id'))).toBe(false)
    const noise = result.grid.rules.filter((r) => r.label.startsWith('Noise'))
    for (const r of noise) expect(Math.abs(r.points)).toBeLessThan(8)
  })

  it('learns the generating model: the best source earns the most, the worst loses', () => {
    const points = (label: string) => result.grid.rules.find((r) => r.label === label)?.points ?? 0
    expect(points('Lead Source = Reference')).toBeGreaterThan(points('Lead Source = Webinar'))
    expect(points('Lead Source = Webinar')).toBeGreaterThan(0)
    expect(points('Lead Source = Olark Chat')).toBeLessThan(0)
    expect(points('Decision Maker = Yes')).toBeGreaterThan(0)
  })

  it('treats case and underscore variants as one value, as the engine does', () => {
    expect(result.grid.rules.some((r) => /direct_traffic/i.test(r.label))).toBe(false)
    expect(result.grid.rules.filter((r) => /= google$/i.test(r.label))).toHaveLength(0) // Google is the reference
    const scores = scoreRows(result.grid, [
      {
        'Lead Source': 'Direct Traffic',
        Employees: '100',
        'Decision Maker': 'No',
        Pages: '2',
        Region: 'North',
      },
      {
        'Lead Source': 'DIRECT_TRAFFIC',
        Employees: '100',
        'Decision Maker': 'No',
        Pages: '2',
        Region: 'North',
      },
    ])
    expect(scores[0]).toBe(scores[1])
  })

  it('explains each rule with the conversion of its leads', () => {
    const reference = result.rules.find((r) => r.rule.label === 'Lead Source = Reference')!
    expect(reference.explanation).toMatch(
      /^converts \d+\.\d× more than average \(\d+ % of [\d,]+ leads converted\)$/,
    )
    expect(reference.rule.description).toBe(reference.explanation)
  })

  it('reports the same figures for the same input (fixed seed)', () => {
    const again = calibrate(table.columns, table.rows, options)
    expect(again.heldOutAuc).toBe(result.heldOutAuc)
    expect(again.grid).toEqual(result.grid)
  })

  it('meets a precision goal on held-out data approximately', () => {
    const strict = calibrate(table.columns, table.rows, {
      ...options,
      goal: { kind: 'precision', target: 0.8 },
    })
    expect(strict.precision).toBeGreaterThan(0.7)
    expect(strict.mqlShare).toBeLessThan(result.mqlShare)
  })
})

describe('feature levels', () => {
  it('puts every value in exactly one level, and the engine agrees with the mapping', () => {
    const rows = table.rows.slice(0, 3_000)
    const y = Uint8Array.from(outcomeLabels(rows, 'Won').map((v) => v ?? 0))
    const map = buildFeatureMap(table.columns, rows, y, {
      ignore: new Set(['Won', 'Lead Id']),
      missing: new Set(['select']),
    })
    // One rule per level, its points the level's index + 1 in a distinct decimal place per group.
    for (const group of map.groups) {
      const grid = gridSchema.parse({
        name: 'levels',
        rules: group.levels.map((level, i) => ({
          id: `l${i}`,
          label: level.label,
          kind: 'fit',
          points: i + 1,
          when: level.condition,
        })),
      })
      const compiled = compileGrid(grid)
      const odd = [
        ...rows.slice(0, 500).map((r) => r[group.column]),
        undefined,
        '',
        '  ',
        'Select',
        'n/a',
        '1,000',
        '-3',
        'YES',
        'true',
        'Partner 99',
      ]
      for (const raw of odd) {
        const result = evaluate(compiled, { profile: { [group.column]: raw }, createdAt: 0, events: [] }, 0)
        expect(result.contributions.filter((c) => c.points !== 0)).toHaveLength(1)
        expect(result.total, `${group.column} = ${JSON.stringify(raw)}`).toBe(group.levelOf(raw) + 1)
      }
    }
  })
})

describe('input errors', () => {
  it('skips, and names, a column whose name a grid cannot hold', () => {
    const long = 'x'.repeat(201)
    const rows = table.rows.slice(0, 2_000).map((r) => ({ ...r, [long]: r['Decision Maker'] }))
    const result = calibrate([...table.columns, long], rows, options)
    expect(result.skipped).toContainEqual({ column: long, reason: expect.stringMatching(/longer than 200/) })
  })

  it('names the missing outcome column', () => {
    expect(() => calibrate(table.columns, table.rows, { outcome: 'Converted' })).toThrow(
      CalibrationInputError,
    )
    expect(() => calibrate(table.columns, table.rows, { outcome: 'Converted' })).toThrow(
      /no column "Converted"/,
    )
  })

  it('asks for --positive when the outcome values are not recognisable', () => {
    const rows = [{ Stage: 'Closed' }, { Stage: 'Open' }]
    expect(() => outcomeLabels(rows, 'Stage')).toThrow(/pass --positive/)
    expect(outcomeLabels(rows, 'Stage', 'closed')).toEqual([1, 0])
  })
})

describe('explain', () => {
  it('reads as a RevOps person would write it', () => {
    expect(explain(35, 4.1, 534, 0.92)).toBe('converts 4.1× more than average (92 % of 534 leads converted)')
    expect(explain(-20, 0.25, 1_200, 0.1)).toBe(
      'converts 4.0× less than average (10 % of 1,200 leads converted)',
    )
    expect(explain(-5, 0, 40, 0)).toBe('none of its 40 leads converted')
  })
})
