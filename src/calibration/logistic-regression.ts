/**
 * L2-regularised logistic regression on sparse binary features, solved by Newton's method (IRLS).
 *
 * Why our own solver: `ml-logistic-regression` (the maintained JS library) fits by plain gradient
 * descent with a fixed learning rate and NO regularisation, and it needs a dense design matrix;
 * calibration needs an L2 penalty chosen by cross-validation, an unpenalised intercept, and speed on
 * tens of thousands of one-hot rows. The rows here are sparse (one active level per column of the
 * CSV), so the Hessian XᵀWX is accumulated row by row over active pairs only — O(n·k²) for k active
 * features per row instead of O(n·p²) — and the p×p Newton system is solved with `ml-matrix`
 * (Cholesky; the penalty keeps it positive definite). Newton converges in a handful of iterations,
 * and a step is halved while it fails to decrease the penalised loss, so quasi-separated data
 * (a level where everyone converted) cannot make it diverge.
 *
 * Objective: Σᵢ −[yᵢ log pᵢ + (1−yᵢ) log(1−pᵢ)] + (λ/2)·‖w‖², intercept b not penalised,
 * pᵢ = σ(b + Σ_{j active in row i} w_j).
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix'

/** A row: the indices (0..p−1) of its features equal to 1; all others are 0. */
export type SparseRow = Int32Array

export interface LogisticModel {
  intercept: number
  weights: Float64Array
  iterations: number
  converged: boolean
}

export interface FitOptions {
  lambda: number
  /** Start from this model (warm start along a regularisation path). */
  start?: LogisticModel
  maxIterations?: number
  tolerance?: number
}

export const sigmoid = (z: number): number =>
  z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))

export function linearPredictor(model: LogisticModel, row: SparseRow): number {
  let z = model.intercept
  for (let k = 0; k < row.length; k++) z += model.weights[row[k]!]!
  return z
}

/** −log-likelihood of one observation with linear predictor z, computed without overflow. */
function logLoss(z: number, y: number): number {
  // log(1 + e^z) − y·z
  const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))
  return softplus - y * z
}

function penalisedLoss(rows: SparseRow[], y: Uint8Array, b: number, w: Float64Array, lambda: number): number {
  let loss = 0
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    let z = b
    for (let k = 0; k < row.length; k++) z += w[row[k]!]!
    loss += logLoss(z, y[i]!)
  }
  let norm = 0
  for (let j = 0; j < w.length; j++) norm += w[j]! * w[j]!
  return loss + 0.5 * lambda * norm
}

/** The start: the given model, or no weights and the intercept at the base rate's log-odds. */
function startingPoint(y: Uint8Array, p: number, start: LogisticModel | undefined) {
  if (start) return { b: start.intercept, w: Float64Array.from(start.weights) }
  const n = y.length
  let positives = 0
  for (let i = 0; i < n; i++) positives += y[i]!
  const rate = Math.min(Math.max(positives / Math.max(n, 1), 1e-6), 1 - 1e-6)
  return { b: Math.log(rate / (1 - rate)), w: new Float64Array(p) }
}

/**
 * The gradient and Hessian of the penalised loss at (b, w), into `gradient` and `hessian` (dim ×
 * dim, row-major; index p is the intercept), accumulated row by row over active pairs only.
 */
function newtonSystem(
  rows: SparseRow[],
  y: Uint8Array,
  b: number,
  w: Float64Array,
  lambda: number,
  ridge: number,
  gradient: Float64Array,
  hessian: Float64Array,
): void {
  const p = w.length
  const dim = p + 1
  hessian.fill(0)
  gradient.fill(0)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    let z = b
    for (let k = 0; k < row.length; k++) z += w[row[k]!]!
    const mu = sigmoid(z)
    const r = mu - y[i]!
    const v = Math.max(mu * (1 - mu), 1e-12)
    gradient[p]! += r
    hessian[p * dim + p]! += v
    for (let k = 0; k < row.length; k++) {
      const a = row[k]!
      gradient[a]! += r
      hessian[a * dim + p]! += v
      const base = a * dim
      // Upper and lower triangles together: rows are short, the symmetric fill is cheap.
      for (let l = 0; l < row.length; l++) hessian[base + row[l]!]! += v
    }
  }
  for (let j = 0; j < p; j++) {
    gradient[j]! += lambda * w[j]!
    hessian[j * dim + j]! += ridge
    hessian[p * dim + j] = hessian[j * dim + p]!
  }
}

/** The Newton step: the system solved by Cholesky. */
function newtonStep(gradient: Float64Array, hessian: Float64Array, dim: number): Matrix {
  const H = new Matrix(dim, dim)
  for (let r = 0; r < dim; r++) for (let c = 0; c < dim; c++) H.set(r, c, hessian[r * dim + c]!)
  const chol = new CholeskyDecomposition(H)
  if (!chol.isPositiveDefinite()) {
    // Should not happen with the ridge floor; add more ridge rather than fail.
    for (let j = 0; j < dim; j++) H.set(j, j, H.get(j, j) + 1e-6)
  }
  return (chol.isPositiveDefinite() ? chol : new CholeskyDecomposition(H)).solve(
    Matrix.columnVector(Array.from(gradient)),
  )
}

/** The step, halved until it decreases the penalised loss; null when no halving does. */
function lineSearch(
  rows: SparseRow[],
  y: Uint8Array,
  lambda: number,
  current: { b: number; w: Float64Array; loss: number },
  step: Matrix,
): { b: number; w: Float64Array; loss: number } | null {
  const { b, w, loss } = current
  const p = w.length
  let t = 1
  for (let halving = 0; halving < 30; halving++) {
    const nextB = b - t * step.get(p, 0)
    const nextW = new Float64Array(p)
    for (let j = 0; j < p; j++) nextW[j] = w[j]! - t * step.get(j, 0)
    const nextLoss = penalisedLoss(rows, y, nextB, nextW, lambda)
    if (nextLoss <= loss + 1e-12 * Math.max(1, Math.abs(loss))) return { b: nextB, w: nextW, loss: nextLoss }
    t /= 2
  }
  return null
}

/**
 * Fits the model. `p` is the number of features; `lambda` ≥ 0 (a tiny floor is always added to the
 * diagonal so a feature absent from the training rows gets weight 0 instead of a singular system).
 */
export function fitLogistic(rows: SparseRow[], y: Uint8Array, p: number, options: FitOptions): LogisticModel {
  const lambda = options.lambda
  const maxIterations = options.maxIterations ?? 50
  const tolerance = options.tolerance ?? 1e-8
  const ridge = Math.max(lambda, 1e-8)
  const start = startingPoint(y, p, options.start)
  let current: { b: number; w: Float64Array; loss: number } = {
    ...start,
    loss: penalisedLoss(rows, y, start.b, start.w, lambda),
  }
  const dim = p + 1 // index p is the intercept
  let iterations = 0
  let converged = false
  const hessian = new Float64Array(dim * dim)
  const gradient = new Float64Array(dim)
  while (iterations < maxIterations) {
    iterations++
    newtonSystem(rows, y, current.b, current.w, lambda, ridge, gradient, hessian)
    const next = lineSearch(rows, y, lambda, current, newtonStep(gradient, hessian, dim))
    if (!next) {
      converged = true // no descent direction left at machine precision
      break
    }
    const improvement = current.loss - next.loss
    current = next
    if (improvement <= tolerance * Math.max(1, Math.abs(current.loss))) {
      converged = true
      break
    }
  }
  return { intercept: current.b, weights: current.w, iterations, converged }
}
