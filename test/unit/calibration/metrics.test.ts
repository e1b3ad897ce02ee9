import { describe, expect, it } from 'vitest'
import { rocAuc, thresholdFigures } from '../../../src/calibration/metrics.js'

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 when every score ties', () => {
    expect(rocAuc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1)
    expect(rocAuc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0)
    expect(rocAuc([5, 5, 5, 5], [0, 1, 0, 1])).toBe(0.5)
  })

  it('counts a tie between a positive and a negative as half a pair', () => {
    // pairs (pos, neg): (2 vs 1) win, (2 vs 2) half, (3 vs 1) win, (3 vs 2) win → 3.5 / 4
    expect(rocAuc([1, 2, 2, 3], [0, 0, 1, 1])).toBeCloseTo(0.875, 10)
  })

  it('is NaN without both classes', () => {
    expect(rocAuc([1, 2], [1, 1])).toBeNaN()
  })
})

describe('thresholdFigures', () => {
  it('computes precision, recall and F1 of the predicted positives', () => {
    const f = thresholdFigures([true, true, false, false, true], [1, 0, 1, 0, 1])
    expect(f).toMatchObject({ truePositives: 2, falsePositives: 1, falseNegatives: 1, predicted: 3 })
    expect(f.precision).toBeCloseTo(2 / 3)
    expect(f.recall).toBeCloseTo(2 / 3)
    expect(f.f1).toBeCloseTo(2 / 3)
  })
})
