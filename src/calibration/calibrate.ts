/**
 * The whole calibration of a table of historical leads: outcome column → labels, fixed-seed
 * train / held-out split, automatic feature mapping, L2 logistic regression with the penalty chosen
 * by cross-validation, integer grid, and the held-out figures — the grid's scored by the real
 * engine (compile + evaluate, as the service scores), the baseline's by an unconstrained (λ ≈ 0)
 * logistic regression on the same split and the same features. Pure: no files, no clock.
 */
import { compileGrid } from '../scoring/compile.js'
import { evaluate } from '../scoring/evaluate.js'
import { normalizeText, toValue } from '../scoring/normalize.js'
import type { Grid } from '../scoring/schema.js'
import { chooseLambda, crossValidatedAuc, shuffledIndices } from './cross-validation.js'
import { buildFeatureMap, encodeRow, type FeatureMap, type Row, type SkippedColumn } from './feature-map.js'
import { fitLogistic, type LogisticModel, linearPredictor } from './logistic-regression.js'
import { rocAuc, thresholdFigures } from './metrics.js'
import { type SuggestedRule, toGrid } from './points.js'

/** λ of the "unconstrained" baseline: small enough not to matter, large enough to keep a separated level finite. */
export const BASELINE_LAMBDA = 1e-3

export type Goal =
  | { kind: 'f1' }
  | { kind: 'precision'; target: number }
  | { kind: 'mqlShare'; target: number }

export interface CalibrateOptions {
  outcome: string
  /** Value of the outcome column that means converted; guessed for 1/0, yes/no, true/false. */
  positive?: string
  id?: string
  exclude?: readonly string[]
  /** Values meaning "not filled in" (compared normalized). */
  missing?: readonly string[]
  goal?: Goal
  seed?: number
  heldOutFraction?: number
  /** Also compute the baseline's 5-fold cross-validated AUC on all rows (slower). */
  crossValidateBaseline?: boolean
  name?: string
}

export interface CalibrationResult {
  grid: Grid
  rules: SuggestedRule[]
  skipped: SkippedColumn[]
  rows: { total: number; train: number; heldOut: number; withoutOutcome: number; positives: number }
  lambda: number
  /** Held-out ROC AUC of the grid, scored by the engine. */
  heldOutAuc: number
  /** Held-out ROC AUC of the regularised model before rounding to points. */
  modelAuc: number
  baselineAuc: number
  baselineCvAuc?: number
  precision: number
  recall: number
  f1: number
  threshold: number
  /** Share of held-out leads at or above the threshold. */
  mqlShare: number
  scale: number
  /** The held-out rows, their engine scores and labels (to compare other grids on the same split). */
  heldOut: { rows: Row[]; scores: number[]; labels: number[] }
}

export class CalibrationInputError extends Error {
  override readonly name = 'CalibrationInputError'
}

const POSITIVE_GUESSES = ['1', 'yes', 'true', 'won', 'converted', 'customer', 'oui']
const NEGATIVE_GUESSES = ['0', 'no', 'false', 'lost', 'not converted', 'non']

/** Labels from the outcome column: 1, 0, or null when the outcome is unknown. */
export function outcomeLabels(rows: readonly Row[], column: string, positive?: string): (0 | 1 | null)[] {
  const seen = new Set<string>()
  for (const row of rows) {
    const v = toValue(row[column])
    if (v !== undefined) seen.add(v.norm)
  }
  if (seen.size === 0) throw new CalibrationInputError(`the outcome column "${column}" is empty`)
  let wanted: string
  if (positive !== undefined) {
    wanted = normalizeText(positive)
    if (!seen.has(wanted)) {
      throw new CalibrationInputError(
        `no row has "${positive}" in "${column}" (values seen: ${[...seen].slice(0, 10).join(', ')})`,
      )
    }
  } else {
    const guess = POSITIVE_GUESSES.find((g) => seen.has(g))
    const others = [...seen].filter((s) => s !== guess)
    if (guess === undefined || !others.every((s) => NEGATIVE_GUESSES.includes(s))) {
      throw new CalibrationInputError(
        `cannot tell which value of "${column}" means converted (values seen: ${[...seen].slice(0, 10).join(', ')}); pass --positive VALUE`,
      )
    }
    wanted = guess
  }
  return rows.map((row) => {
    const v = toValue(row[column])
    return v === undefined ? null : v.norm === wanted ? 1 : 0
  })
}

/** The log-odds cut that meets the goal on the training predictions. */
export function chooseCut(z: Float64Array, y: Uint8Array, goal: Goal): number {
  const order = Array.from(z.keys()).sort((a, b) => z[b]! - z[a]!)
  const positives = y.reduce((s, v) => s + v, 0)
  if (goal.kind === 'mqlShare') {
    const k = Math.max(1, Math.min(order.length, Math.round(goal.target * order.length)))
    return z[order[k - 1]!]!
  }
  let tp = 0
  let bestCut = z[order[0]!]!
  let bestF1 = -1
  let precisionCut: number | null = null
  for (let i = 0; i < order.length; i++) {
    tp += y[order[i]!]!
    // Only cut between distinct predictions: tied leads are on the same side.
    if (i + 1 < order.length && z[order[i + 1]!] === z[order[i]!]) continue
    const precision = tp / (i + 1)
    const recall = positives > 0 ? tp / positives : 0
    const f1 = tp === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    if (f1 > bestF1) {
      bestF1 = f1
      bestCut = z[order[i]!]!
    }
    if (goal.kind === 'precision' && precision >= goal.target) precisionCut = z[order[i]!]!
  }
  if (goal.kind === 'precision') {
    if (precisionCut === null)
      throw new CalibrationInputError(
        `no threshold reaches a precision of ${goal.target} on the training rows`,
      )
    return precisionCut
  }
  return bestCut
}

/** Refuses options that name a column the table does not have. */
function checkColumns(columns: readonly string[], options: CalibrateOptions): void {
  if (!columns.includes(options.outcome)) {
    throw new CalibrationInputError(
      `no column "${options.outcome}" (columns: ${columns.filter(Boolean).join(', ')})`,
    )
  }
  if (options.id !== undefined && !columns.includes(options.id)) {
    throw new CalibrationInputError(`no id column "${options.id}"`)
  }
  for (const c of options.exclude ?? []) {
    if (!columns.includes(c)) throw new CalibrationInputError(`cannot exclude "${c}": no such column`)
  }
}

/** The rows with a known outcome and their labels; refuses too few to learn from. */
function labelledRows(allRows: readonly Row[], options: CalibrateOptions) {
  const labelled = outcomeLabels(allRows, options.outcome, options.positive)
  const rows: Row[] = []
  const labels: number[] = []
  labelled.forEach((label, i) => {
    if (label !== null) {
      rows.push(allRows[i]!)
      labels.push(label)
    }
  })
  const positives = labels.reduce((s, v) => s + v, 0)
  if (rows.length < 50 || positives < 10 || rows.length - positives < 10) {
    throw new CalibrationInputError(
      `need at least 50 leads with an outcome, 10 converted and 10 not (got ${rows.length}, ${positives} converted)`,
    )
  }
  return { rows, labels, positives }
}

/** The fixed-seed train / held-out split. */
function splitRows(rows: readonly Row[], labels: readonly number[], options: CalibrateOptions) {
  const order = shuffledIndices(rows.length, options.seed ?? 42)
  const heldOutCount = Math.round((options.heldOutFraction ?? 0.25) * rows.length)
  const heldOutIdx = order.slice(0, heldOutCount)
  const trainIdx = order.slice(heldOutCount)
  return {
    trainRows: trainIdx.map((i) => rows[i]!),
    yTrain: Uint8Array.from(trainIdx.map((i) => labels[i]!)),
    heldRows: heldOutIdx.map((i) => rows[i]!),
    yHeld: heldOutIdx.map((i) => labels[i]!),
  }
}

export function calibrate(
  columns: readonly string[],
  allRows: readonly Row[],
  options: CalibrateOptions,
): CalibrationResult {
  checkColumns(columns, options)
  const { rows, labels, positives } = labelledRows(allRows, options)
  const { trainRows, yTrain, heldRows, yHeld } = splitRows(rows, labels, options)

  const ignore = new Set<string>([options.outcome, ...(options.exclude ?? [])])
  if (options.id !== undefined) ignore.add(options.id)
  const missing = new Set((options.missing ?? []).map(normalizeText).filter((s) => s.length > 0))
  const map = buildFeatureMap(columns, trainRows, yTrain, { ignore, missing })
  if (map.groups.length === 0) throw new CalibrationInputError('no column can be used as a criterion')
  const xTrain = trainRows.map((r) => encodeRow(map, r))
  const xHeld = heldRows.map((r) => encodeRow(map, r))

  const cv = chooseLambda(xTrain, yTrain, map.size)
  const model = fitLogistic(xTrain, yTrain, map.size, { lambda: cv.lambda })
  const baseline = fitLogistic(xTrain, yTrain, map.size, { lambda: BASELINE_LAMBDA })
  const zTrain = Float64Array.from(xTrain.map((x) => linearPredictor(model, x)))
  const cut = chooseCut(zTrain, yTrain, options.goal ?? { kind: 'f1' })
  const baseRate = yTrain.reduce((s, v) => s + v, 0) / yTrain.length
  const points = toGrid({
    map,
    model,
    cut,
    baseRate,
    name: options.name ?? 'Suggested grid',
    description: `Learnt from ${trainRows.length} leads (outcome "${options.outcome}") by L2 logistic regression, λ = ${cv.lambda} chosen by 5-fold cross-validation.`,
  })

  const scores = scoreRows(points.grid, heldRows)
  const figures = thresholdFigures(
    scores.map((s) => s >= points.grid.mqlThreshold),
    yHeld,
  )
  // 5-fold CV over all labelled rows, the mapping learnt once on all of them (it uses no outcome
  // beyond level counts).
  const baselineCvAuc = options.crossValidateBaseline
    ? baselineCrossValidatedAuc(columns, rows, labels, { ignore, missing })
    : undefined
  return {
    grid: points.grid,
    rules: points.rules,
    skipped: map.skipped,
    rows: {
      total: allRows.length,
      train: trainRows.length,
      heldOut: heldRows.length,
      withoutOutcome: allRows.length - rows.length,
      positives,
    },
    lambda: cv.lambda,
    heldOutAuc: rocAuc(scores, yHeld),
    modelAuc: aucOf(model, xHeld, yHeld),
    baselineAuc: aucOf(baseline, xHeld, yHeld),
    baselineCvAuc,
    precision: figures.precision,
    recall: figures.recall,
    f1: figures.f1,
    threshold: points.grid.mqlThreshold,
    mqlShare: figures.predicted / Math.max(1, heldRows.length),
    scale: points.scale,
    heldOut: { rows: heldRows, scores, labels: yHeld },
  }
}

function baselineCrossValidatedAuc(
  columns: readonly string[],
  rows: readonly Row[],
  labels: readonly number[],
  options: { ignore: ReadonlySet<string>; missing: ReadonlySet<string> },
): number {
  const yAll = Uint8Array.from(labels)
  const mapAll = buildFeatureMap(columns, rows, yAll, options)
  const xAll = rows.map((r) => encodeRow(mapAll, r))
  return crossValidatedAuc(xAll, yAll, mapAll.size, BASELINE_LAMBDA).pooled
}

function aucOf(model: LogisticModel, x: Int32Array[], y: number[]): number {
  return rocAuc(
    x.map((r) => linearPredictor(model, r)),
    y,
  )
}

/** Scores rows as contacts' profiles with the engine (no events), exactly as the service would. */
export function scoreRows(grid: Grid, rows: readonly Row[]): number[] {
  const compiled = compileGrid(grid)
  const now = Date.UTC(2026, 0, 1)
  return rows.map(
    (row) => evaluate(compiled, { profile: row, createdAt: now, events: [], previous: null }, now).total,
  )
}

export type { FeatureMap }
