/**
 * Choosing the L2 penalty by k-fold cross-validation on the training rows: for each fold the whole
 * regularisation path is fitted from the strongest penalty to the weakest, each fit warm-started
 * from the previous one (a few Newton steps each), and the penalty with the lowest mean held-out
 * log-loss wins. Log-loss rather than AUC: it is smooth in λ and rewards calibrated probabilities,
 * which the threshold advice relies on.
 */
import { seededRandom } from '../util/seeded-random.js'
import { fitLogistic, type LogisticModel, linearPredictor, type SparseRow } from './logistic-regression.js'
import { rocAuc } from './metrics.js'

/** Penalties tried, strongest first (λ is on the summed log-loss, so it is "prior observations"). */
export const LAMBDA_GRID = [300, 100, 30, 10, 3, 1, 0.3, 0.1]

export interface CrossValidation {
  lambda: number
  /** Mean held-out log-loss per λ of LAMBDA_GRID. */
  losses: number[]
}

/** Fold index (0..k−1) of each row, shuffled with a fixed seed. */
export function foldsOf(n: number, k: number, seed: number): Uint8Array {
  const order = shuffledIndices(n, seed)
  const folds = new Uint8Array(n)
  order.forEach((row, i) => {
    folds[row] = i % k
  })
  return folds
}

export function shuffledIndices(n: number, seed: number): number[] {
  const random = seededRandom(seed)
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order
}

function split<T>(items: readonly T[], folds: Uint8Array, fold: number): { inside: T[]; outside: T[] } {
  const inside: T[] = []
  const outside: T[] = []
  items.forEach((item, i) => {
    if (folds[i] === fold) outside.push(item)
    else inside.push(item)
  })
  return { inside, outside }
}

export function chooseLambda(
  rows: SparseRow[],
  y: Uint8Array,
  p: number,
  options: { k?: number; seed?: number } = {},
): CrossValidation {
  const k = options.k ?? 5
  const folds = foldsOf(rows.length, k, options.seed ?? 7)
  const labels = Array.from(y)
  const losses = LAMBDA_GRID.map(() => 0)
  for (let fold = 0; fold < k; fold++) {
    const r = split(rows, folds, fold)
    const l = split(labels, folds, fold)
    const yIn = Uint8Array.from(l.inside)
    let start: LogisticModel | undefined
    LAMBDA_GRID.forEach((lambda, i) => {
      const model = fitLogistic(r.inside, yIn, p, { lambda, start })
      start = model
      let loss = 0
      r.outside.forEach((row, j) => {
        const z = linearPredictor(model, row)
        const yy = l.outside[j]!
        loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - yy * z
      })
      losses[i]! += loss / Math.max(1, r.outside.length) / k
    })
  }
  let best = 0
  losses.forEach((loss, i) => {
    if (loss < losses[best]!) best = i
  })
  return { lambda: LAMBDA_GRID[best]!, losses }
}

/** k-fold cross-validated ROC AUC of a logistic regression with penalty `lambda` (pooled predictions). */
export function crossValidatedAuc(
  rows: SparseRow[],
  y: Uint8Array,
  p: number,
  lambda: number,
  options: { k?: number; seed?: number } = {},
): { pooled: number; meanOfFolds: number } {
  const k = options.k ?? 5
  const folds = foldsOf(rows.length, k, options.seed ?? 11)
  const predictions = new Float64Array(rows.length)
  const labels = Array.from(y)
  let sum = 0
  for (let fold = 0; fold < k; fold++) {
    const r = split(rows, folds, fold)
    const l = split(labels, folds, fold)
    const model = fitLogistic(r.inside, Uint8Array.from(l.inside), p, { lambda })
    const scores = r.outside.map((row) => linearPredictor(model, row))
    sum += rocAuc(scores, l.outside)
    let j = 0
    for (let i = 0; i < rows.length; i++) if (folds[i] === fold) predictions[i] = scores[j++]!
  }
  return { pooled: rocAuc(predictions, y), meanOfFolds: sum / k }
}
