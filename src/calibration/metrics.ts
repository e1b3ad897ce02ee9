/**
 * Classification figures shared by calibration and backtests: ROC AUC (ties counted as half, so an
 * integer grid that puts many leads on the same score is judged fairly), and precision / recall / F1
 * of a threshold.
 */

/** ROC AUC by the rank-sum (Mann–Whitney) formula with average ranks for ties; NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  let positives = 0
  let rankSum = 0
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++
    const averageRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]) {
        positives++
        rankSum += averageRank
      }
    }
    i = j + 1
  }
  const negatives = n - positives
  if (positives === 0 || negatives === 0) return Number.NaN
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

export interface ThresholdFigures {
  /** Leads predicted positive (score ≥ threshold). */
  predicted: number
  truePositives: number
  falsePositives: number
  falseNegatives: number
  /** NaN when nothing is predicted positive. */
  precision: number
  /** NaN when there is no positive. */
  recall: number
  f1: number
}

export function thresholdFigures(predicted: ArrayLike<boolean>, labels: ArrayLike<number>): ThresholdFigures {
  let tp = 0
  let fp = 0
  let fn = 0
  for (let i = 0; i < labels.length; i++) {
    if (predicted[i]) {
      if (labels[i]) tp++
      else fp++
    } else if (labels[i]) fn++
  }
  const precision = tp + fp === 0 ? Number.NaN : tp / (tp + fp)
  const recall = tp + fn === 0 ? Number.NaN : tp / (tp + fn)
  const f1 = tp === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return {
    predicted: tp + fp,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision,
    recall,
    f1,
  }
}

/** Rounds a figure for display and JSON (NaN becomes null in JSON anyway). */
export const round4 = (x: number): number => Math.round(x * 1e4) / 1e4
