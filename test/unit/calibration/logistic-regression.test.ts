import { describe, expect, it } from 'vitest'
import {
  fitLogistic,
  linearPredictor,
  type SparseRow,
  sigmoid,
} from '../../../src/calibration/logistic-regression.js'
import { seededRandom } from '../../../src/util/seeded-random.js'

/** Rows with 3 binary features and a known model b = −0.5, w = [1.5, −1, 0.3]. */
function data(n: number, seed: number) {
  const random = seededRandom(seed)
  const w = [1.5, -1, 0.3]
  const rows: SparseRow[] = []
  const y = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const active = [0, 1, 2].filter(() => random() < 0.4)
    const z = -0.5 + active.reduce((s, j) => s + w[j]!, 0)
    rows.push(Int32Array.from(active))
    y[i] = random() < sigmoid(z) ? 1 : 0
  }
  return { rows, y }
}

function gradientNorm(
  rows: SparseRow[],
  y: Uint8Array,
  model: ReturnType<typeof fitLogistic>,
  lambda: number,
) {
  const g = new Float64Array(model.weights.length + 1)
  rows.forEach((row, i) => {
    const r = sigmoid(linearPredictor(model, row)) - y[i]!
    g[model.weights.length]! += r
    for (const j of row) g[j]! += r
  })
  model.weights.forEach((w, j) => {
    g[j]! += lambda * w
  })
  return Math.max(...Array.from(g, Math.abs))
}

describe('fitLogistic (L2 Newton solver)', () => {
  it('recovers the generating coefficients on a large sample', () => {
    const { rows, y } = data(40_000, 1)
    const model = fitLogistic(rows, y, 3, { lambda: 1e-6 })
    expect(model.converged).toBe(true)
    expect(model.intercept).toBeCloseTo(-0.5, 1)
    expect(model.weights[0]).toBeCloseTo(1.5, 1)
    expect(model.weights[1]).toBeCloseTo(-1, 1)
    expect(model.weights[2]).toBeCloseTo(0.3, 1)
  })

  it('reaches the optimum of the penalised loss (gradient ≈ 0) for several penalties', () => {
    const { rows, y } = data(3_000, 2)
    for (const lambda of [0.01, 1, 100]) {
      const model = fitLogistic(rows, y, 3, { lambda })
      expect(gradientNorm(rows, y, model, lambda)).toBeLessThan(1e-4)
    }
  })

  it('shrinks weights as the penalty grows, and never the intercept to zero', () => {
    const { rows, y } = data(3_000, 3)
    const weak = fitLogistic(rows, y, 3, { lambda: 0.01 })
    const strong = fitLogistic(rows, y, 3, { lambda: 10_000 })
    const norm = (m: typeof weak) => Math.hypot(...m.weights)
    expect(norm(strong)).toBeLessThan(norm(weak) / 5)
    expect(Math.abs(strong.intercept)).toBeGreaterThan(0.1)
  })

  it('stays finite when a feature separates the classes perfectly', () => {
    const rows: SparseRow[] = []
    const y = new Uint8Array(200)
    for (let i = 0; i < 200; i++) {
      rows.push(Int32Array.from(i < 50 ? [0] : []))
      y[i] = i < 50 ? 1 : i % 3 === 0 ? 1 : 0
    }
    const model = fitLogistic(rows, y, 2, { lambda: 1e-3 })
    expect(Number.isFinite(model.weights[0])).toBe(true)
    expect(model.weights[0]).toBeGreaterThan(3)
    // A feature never active gets exactly zero weight.
    expect(model.weights[1]).toBe(0)
  })

  it('warm start reaches the same optimum', () => {
    const { rows, y } = data(2_000, 4)
    const cold = fitLogistic(rows, y, 3, { lambda: 1 })
    const warm = fitLogistic(rows, y, 3, { lambda: 1, start: fitLogistic(rows, y, 3, { lambda: 30 }) })
    for (let j = 0; j < 3; j++) expect(warm.weights[j]).toBeCloseTo(cold.weights[j]!, 5)
  })
})
