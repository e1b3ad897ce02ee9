/**
 * The value kind the settings page is told for each condition operator matches what the schema
 * accepts: a value of that kind validates, and an operator said to take none validates without one.
 */
import { describe, expect, it } from 'vitest'
import {
  CONDITION_OP_VALUES,
  CONDITION_OPS,
  type ConditionValue,
  parseGrid,
} from '../../../src/scoring/index.js'

const SAMPLES: Record<ConditionValue, unknown[]> = {
  none: [],
  operand: ['France', 3],
  operands: [['France', 3]],
  domains: [['acme.com']],
  textOrList: ['pricing', ['pricing', 'plans']],
  pattern: ['^/pricing'],
  number: [50],
  range: [[0, 100]],
}

const gridWith = (when: Record<string, unknown>) => ({
  name: 'g',
  rules: [{ id: 'r', label: 'R', kind: 'fit', points: 10, when: { property: 'p', ...when } }],
})

describe('condition operators and their values', () => {
  it('lists every operator once, in the schema order', () => {
    expect(CONDITION_OP_VALUES.map((o) => o.op)).toEqual([...CONDITION_OPS])
  })

  it.each(CONDITION_OP_VALUES.map((o) => [o.op, o.value] as const))('%s takes %s', (op, kind) => {
    if (kind === 'none') {
      expect(parseGrid(gridWith({ op })).ok).toBe(true)
      expect(parseGrid(gridWith({ op, value: 'x' })).ok).toBe(false)
    } else {
      for (const value of SAMPLES[kind])
        expect(parseGrid(gridWith({ op, value })).ok, String(value)).toBe(true)
      expect(parseGrid(gridWith({ op })).ok).toBe(false)
    }
  })
})
