/**
 * Automatic mapping of CSV columns to grid features. Each usable column becomes a group of LEVELS
 * that are mutually exclusive and exhaustive — every possible value falls in exactly one — and each
 * level carries the grid condition that selects it, written with the engine's own operators and
 * matched here with the engine's own normalization (`toValue`, `toNumber`), so a grid built from
 * the levels scores exactly the rows the model was fitted on:
 *
 * - numbers → quantile bins `< a`, `≥ a and < b`, …, `≥ z`, plus "unknown or not a number";
 * - yes/no columns → yes, no, and anything else (unknown);
 * - text → one level per frequent normalized value (`eq`, so "Google" and "google" are one level),
 *   the rare values pooled in "other", and unknown (blank or a `--missing` marker) as its own level.
 *
 * The mapping is learnt on the training rows only; the most frequent level of each group is its
 * reference (0 points), so points read "compared with the usual lead"; a level seen on fewer than
 * MIN_SUPPORT training leads is scored like the reference.
 */
import { normalizeText, toNumber, toValue } from '../scoring/normalize.js'
import {
  booleanGroup,
  categoricalGroup,
  type FeatureGroup,
  type FeatureMapOptions,
  type GroupLevels,
  NO_SET,
  numericGroup,
  type Row,
  YES_SET,
} from './feature-levels.js'

export type { ColumnKind, FeatureGroup, FeatureMapOptions, Level, Row } from './feature-levels.js'

export interface SkippedColumn {
  column: string
  reason: string
}

export interface FeatureMap {
  groups: FeatureGroup[]
  skipped: SkippedColumn[]
  /** Number of features (non-reference levels). */
  size: number
  /** Feature index → [group index, level index]. */
  features: [number, number][]
}

const MAX_PROPERTY_LENGTH = 200
/** Training leads a level needs before it gets a feature (and so a rule) of its own. */
export const MIN_SUPPORT = 10

/** Learns the mapping on `rows` (the training split) with their outcomes `y`. */
export function buildFeatureMap(
  columns: readonly string[],
  rows: readonly Row[],
  y: Uint8Array,
  options: FeatureMapOptions,
): FeatureMap {
  const groups: FeatureGroup[] = []
  const skipped: SkippedColumn[] = []
  const n = rows.length
  const minCount = Math.max(20, Math.ceil(0.005 * n))
  for (const column of columns) {
    if (column.trim() === '' || options.ignore.has(column)) continue
    if (column.length > MAX_PROPERTY_LENGTH) {
      skipped.push({
        column,
        reason: `name longer than ${MAX_PROPERTY_LENGTH} characters (a grid cannot name it)`,
      })
      continue
    }
    const known: string[] = []
    for (const row of rows) {
      const v = toValue(row[column])
      if (v !== undefined && !options.missing.has(v.norm)) known.push(row[column] as string)
    }
    if (known.length === 0) {
      skipped.push({ column, reason: 'always empty' })
      continue
    }
    const norms = new Map<string, number>()
    let numeric = 0
    let integers = 0
    for (const raw of known) {
      const norm = normalizeText(raw)
      norms.set(norm, (norms.get(norm) ?? 0) + 1)
      const x = toNumber(raw)
      if (!Number.isNaN(x)) {
        numeric++
        if (Number.isInteger(x)) integers++
      }
    }
    let group: GroupLevels | null = null
    if ([...norms.keys()].every((k) => YES_SET.has(k) || NO_SET.has(k))) {
      group = booleanGroup(column, options.missing)
    } else if (numeric >= 0.98 * known.length && norms.size > 2) {
      if (integers === known.length && norms.size >= 0.95 * known.length && known.length >= 50) {
        skipped.push({ column, reason: 'looks like an identifier (every value different)' })
        continue
      }
      group = numericGroup(column, known, options.bins ?? 5, minCount)
    } else {
      if (norms.size >= 0.95 * known.length && known.length >= 50) {
        skipped.push({ column, reason: 'looks like an identifier (every value different)' })
        continue
      }
      group = categoricalGroup(column, known, norms, options, minCount)
    }
    if (group === null) {
      skipped.push({ column, reason: 'a single value: nothing to learn' })
      continue
    }
    for (let i = 0; i < n; i++) {
      const level = group.levels[group.levelOf(rows[i]![column])]!
      level.count++
      level.positives += y[i]!
    }
    const used = group.levels.filter((l) => l.count > 0).length
    if (used < 2) {
      skipped.push({ column, reason: 'a single value in the training rows: nothing to learn' })
      continue
    }
    let reference = 0
    group.levels.forEach((l, i) => {
      if (l.count > group!.levels[reference]!.count) reference = i
    })
    groups.push({ ...group, reference, offset: 0, featureOf: new Int32Array(group.levels.length) })
  }
  const features: [number, number][] = []
  groups.forEach((g, gi) => {
    g.offset = features.length
    g.levels.forEach((l, li) => {
      // A level seen on too few training leads earns no points of its own: its rate is noise.
      if (li === g.reference || l.count < MIN_SUPPORT) g.featureOf[li] = -1
      else {
        g.featureOf[li] = features.length
        features.push([gi, li])
      }
    })
  })
  return { groups, skipped, size: features.length, features }
}

/** The active feature indices of one row. */
export function encodeRow(map: FeatureMap, row: Row): Int32Array {
  const out: number[] = []
  for (const g of map.groups) {
    const f = g.featureOf[g.levelOf(row[g.column])]!
    if (f >= 0) out.push(f)
  }
  return Int32Array.from(out)
}
