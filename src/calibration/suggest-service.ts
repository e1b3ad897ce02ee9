/**
 * "Suggest from the workspace's own outcomes" (for a live workspace): the same L2 logistic
 * regression as `leadgrid calibrate`, fitted on the workspace's contacts that have an outcome, each
 * described AS OF its decision (first outcome) like the backtest does (suggest-cases.ts). Candidate
 * features, all binary:
 *   - each rule of the current grid that scored the contact (re-weight or drop it);
 *   - "at least one <type> event in the lookback" per event type seen (add an engagement rule);
 *   - the levels of the contacts' profile properties, mapped as the CSV calibration maps columns
 *     (feature-map.ts: bins, yes/no, frequent values; add fit rules).
 * Coefficients become integer points on one scale (points.ts: the MQL threshold 80 sits at the
 * chosen cut); a rule scored per occurrence gets its weight spread over its average count. A fixed-
 * seed quarter of the contacts is held out, and both grids are backtested on it with the engine.
 */
import type { Db } from '../db/database.js'
import { getGrid } from '../db/grid-repository.js'
import { AppError, NotFound } from '../errors.js'
import { type CompiledGridCache, type Grid, gridSchema } from '../scoring/index.js'
import { CalibrationInputError, chooseCut, type Goal } from './calibrate.js'
import { chooseLambda } from './cross-validation.js'
import { buildFeatureMap, encodeRow, type FeatureMap, type Row } from './feature-map.js'
import { fitLogistic, type LogisticModel, type SparseRow } from './logistic-regression.js'
import { toGrid } from './points.js'
import { backtestOn, loadCases, requireEnoughOutcomes, splitHeldOut } from './suggest-cases.js'
import { type Case, ruleChanges } from './suggest-changes.js'

/** Properties that record the outcome itself (or sales' later work): learning from them would leak. */
export const LEAKING_PROPERTIES = ['lifecyclestage', 'hs_lead_status', 'email', 'outcome', 'deal_stage']

const asRow = (profile: Case['profile']): Row =>
  Object.fromEntries(
    Object.entries(profile)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  )

/** The training cases encoded as sparse binary rows: current rules, then event types, then property levels. */
interface Features {
  x: SparseRow[]
  y: Uint8Array
  /** Number of features. */
  p: number
  /** Index of the first property level (after the rules and the event types). */
  offset: number
  eventTypes: string[]
  map: FeatureMap
}

function encodeFeatures(grid: Grid, train: readonly Case[], exclude: ReadonlySet<string>): Features {
  const y = Uint8Array.from(train.map((c) => (c.converted ? 1 : 0)))
  // Features 0..R-1: current rules; R..R+E-1: event types; then the property levels.
  const rules = grid.rules
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]))
  // An event type whose leads are exactly those of a current rule (the pricing-page rule and
  // "any page view" when every view was of pricing) would only split one weight in two.
  const ruleSignatures = new Set(rules.map((r) => train.map((c) => (c.hits.has(r.id) ? 1 : 0)).join('')))
  const eventTypes = [...new Set(train.flatMap((c) => c.events.map((e) => e.type)))]
    .sort()
    .filter(
      (type) =>
        !ruleSignatures.has(train.map((c) => (c.events.some((e) => e.type === type) ? 1 : 0)).join('')),
    )
  const eventIndex = new Map(eventTypes.map((t, i) => [t, rules.length + i]))
  const offset = rules.length + eventTypes.length
  const trainRows = train.map((c) => asRow(c.profile))
  const columns = [...new Set(trainRows.flatMap((r) => Object.keys(r)))].sort()
  const map = buildFeatureMap(columns, trainRows, y, { ignore: exclude, missing: new Set() })
  const encode = (c: Case, r: Row) => {
    const active: number[] = []
    for (const id of c.hits.keys()) {
      const i = ruleIndex.get(id)
      if (i !== undefined) active.push(i)
    }
    for (const t of new Set(c.events.map((e) => e.type))) {
      const i = eventIndex.get(t)
      if (i !== undefined) active.push(i)
    }
    for (const f of encodeRow(map, r)) active.push(offset + f)
    return Int32Array.from(active)
  }
  const x = train.map((c, i) => encode(c, trainRows[i]!))
  return { x, y, p: offset + map.size, offset, eventTypes, map }
}

/** The penalty chosen by cross-validation, the model fitted with it, and the cut meeting the goal. */
function fitModel(features: Features, goal: Goal): { lambda: number; model: LogisticModel; cut: number } {
  const { x, y, p } = features
  const cv = chooseLambda(x, y, p)
  const model = fitLogistic(x, y, p, { lambda: cv.lambda })
  const z = Float64Array.from(
    x.map((r) => model.intercept + Array.from(r).reduce((s, f) => s + model.weights[f]!, 0)),
  )
  try {
    return { lambda: cv.lambda, model, cut: chooseCut(z, y, goal) }
  } catch (err) {
    // A precision no threshold reaches on these outcomes: the caller's goal, not our fault.
    if (!(err instanceof CalibrationInputError)) throw err
    throw new AppError(
      422,
      'goal_unreachable',
      `${err.message}: ask for a lower precision, or an MQL share ("mqlShare") instead`,
    )
  }
}

/** The current grid with its rules re-weighted, dropped or added, and the changes said in words. */
function suggestedGrid(
  current: Grid,
  train: readonly Case[],
  features: Features,
  fit: { lambda: number; model: LogisticModel; cut: number },
  period: { from: Date; to: Date },
) {
  const { model, cut, lambda } = fit
  const baseRate = features.y.reduce((s, v) => s + v, 0) / features.y.length
  const profilePart = toGrid({
    map: features.map,
    model: { ...model, weights: model.weights.subarray(features.offset) },
    cut,
    baseRate,
    name: `${current.name} (suggested)`,
  })
  const { kept, added, changes } = ruleChanges({
    rules: current.rules,
    train,
    weights: model.weights,
    scale: profilePart.scale,
    eventTypes: features.eventTypes,
    baseRate,
    profilePart,
  })
  const day = (d: Date) => d.toISOString().slice(0, 10)
  const suggested = gridSchema.parse({
    ...current,
    name: `${current.name} (suggested)`.slice(0, 120),
    description: `Learnt from ${train.length} contacts with outcomes (${day(period.from)} to ${day(period.to)}) by L2 logistic regression, λ = ${lambda} chosen by 5-fold cross-validation.`,
    thresholds: profilePart.grid.thresholds,
    grade: { ...current.grade, ...profilePart.grid.grade },
    mqlThreshold: profilePart.grid.mqlThreshold,
    minScore: undefined,
    maxScore: undefined,
    rules: [...kept, ...added],
  })
  return { suggested, changes }
}

export function createSuggestService(deps: { db: Db; compiledGrids: CompiledGridCache }) {
  const { db } = deps

  return {
    async suggest(
      workspaceId: string,
      gridId: string,
      options: {
        from: Date
        to: Date
        exclude?: string[]
        goal?: Goal
      },
    ) {
      const row = await getGrid(db, workspaceId, gridId)
      if (!row) throw new NotFound(`No grid ${gridId} in this workspace`)
      const current = deps.compiledGrids.get(row.id, row.definition)
      const cases = await loadCases(db, workspaceId, current, options.from, options.to)
      const { positives } = requireEnoughOutcomes(cases)
      const { held, train } = splitHeldOut(cases)
      const exclude = new Set([...LEAKING_PROPERTIES, ...(options.exclude ?? [])])
      const features = encodeFeatures(current.grid, train, exclude)
      const fit = fitModel(features, options.goal ?? { kind: 'f1' })
      const { suggested, changes } = suggestedGrid(current.grid, train, features, fit, options)
      return {
        grid: { id: row.id, version: row.version, name: row.name, status: row.status },
        period: { from: options.from.toISOString(), to: options.to.toISOString() },
        contacts: { total: cases.length, train: train.length, heldOut: held.length, converted: positives },
        lambda: fit.lambda,
        suggested,
        changes,
        skipped: features.map.skipped,
        heldOut: { current: backtestOn(current.grid, held), suggested: backtestOn(suggested, held) },
        caveat:
          'Events are taken as of each decision; profile properties are their current values (no history is kept). Properties that record the outcome (lifecyclestage, hs_lead_status) are left out.',
      }
    },
  }
}

export type SuggestService = ReturnType<typeof createSuggestService>
