/**
 * "Suggest from the workspace's own outcomes" (issue 10, item 3, for a live workspace): the same
 * L2 logistic regression as `leadgrid calibrate`, fitted on the workspace's contacts that have an
 * outcome, each described AS OF its decision (first outcome) like the backtest does. Candidate
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
import { compiledGridFor } from '../rescoring/rescore-service.js'
import { compileGrid, evaluate, type Grid, gridSchema, prepareEvents } from '../scoring/index.js'
import { type BacktestItem, backtestFigures } from './backtest.js'
import { CONVERTED_KINDS, MAX_BACKTEST_CONTACTS } from './backtest-service.js'
import { CalibrationInputError, chooseCut, type Goal } from './calibrate.js'
import { chooseLambda, shuffledIndices } from './cross-validation.js'
import { forEachDecidedContact } from './decided-contacts.js'
import { buildFeatureMap, encodeRow, type Row } from './feature-map.js'
import { fitLogistic } from './logistic-regression.js'
import { toGrid } from './points.js'
import { type Case, ruleChanges } from './suggest-changes.js'

export const MIN_OUTCOMES = 50
export const MIN_EACH_CLASS = 10
const DAY_MS = 86_400_000
/** Properties that record the outcome itself (or sales' later work): learning from them would leak. */
export const LEAKING_PROPERTIES = ['lifecyclestage', 'hs_lead_status', 'email', 'outcome', 'deal_stage']

const asRow = (profile: Case['profile']): Row =>
  Object.fromEntries(
    Object.entries(profile)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  )

export function createSuggestService(deps: { db: Db }) {
  const { db } = deps

  async function loadCases(
    workspaceId: string,
    current: ReturnType<typeof compiledGridFor>,
    from: Date,
    to: Date,
  ) {
    const cases: Case[] = []
    const lookbackMs = current.grid.lookbackDays * DAY_MS
    await forEachDecidedContact(
      db,
      workspaceId,
      { from, to },
      { limit: MAX_BACKTEST_CONTACTS, lookbackDays: current.grid.lookbackDays },
      ({ decision, contact, events }) => {
        const now = decision.decidedAt.getTime()
        const profile = contact.properties as Case['profile']
        // Only events before the decision, within the current grid's lookback, describe the lead then
        // (a chunk's events start at its earliest decision's lookback).
        const evs = events.filter((e) => {
          const t = Date.parse(e.occurredAt)
          return t <= now && t > now - lookbackMs
        })
        const result = evaluate(
          current.compiled,
          { profile, createdAt: contact.first_seen_at.getTime(), events: prepareEvents(evs), previous: null },
          now,
        )
        const hits = new Map<string, number>()
        for (const k of result.contributions) if (k.kind !== 'group') hits.set(k.ruleId, k.count ?? 1)
        cases.push({
          contactId: decision.contactId,
          email: contact.email,
          decidedAt: decision.decidedAt,
          converted: decision.kinds.some((k) => CONVERTED_KINDS.includes(k)),
          profile,
          createdAt: contact.first_seen_at.getTime(),
          events: evs,
          hits,
        })
      },
    )
    return cases
  }

  function backtestOn(grid: Grid, cases: Case[]) {
    const compiled = compileGrid(grid)
    const items: BacktestItem[] = cases.map((c) => {
      const r = evaluate(
        compiled,
        { profile: c.profile, createdAt: c.createdAt, events: prepareEvents(c.events), previous: null },
        c.decidedAt.getTime(),
      )
      return {
        contactId: c.contactId,
        email: c.email,
        decidedAt: c.decidedAt.toISOString(),
        score: r.total,
        band: r.band,
        mql: r.mql,
        reasons: r.reasons,
        converted: c.converted,
      }
    })
    return backtestFigures(items, grid.mqlThreshold)
  }

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
      const current = compiledGridFor(row.id, row.definition)
      const cases = await loadCases(workspaceId, current, options.from, options.to)
      const positives = cases.filter((c) => c.converted).length
      if (
        cases.length < MIN_OUTCOMES ||
        positives < MIN_EACH_CLASS ||
        cases.length - positives < MIN_EACH_CLASS
      ) {
        throw new AppError(
          422,
          'not_enough_outcomes',
          `A suggestion needs at least ${MIN_OUTCOMES} contacts with an outcome in the period, ${MIN_EACH_CLASS} converted (sql, opportunity or won) and ${MIN_EACH_CLASS} not; this period has ${cases.length}, ${positives} converted. Record more outcomes (POST /api/v1/outcomes, \`leadgrid outcomes import\`, CRM deals) or widen the period.`,
          {
            needed: { contacts: MIN_OUTCOMES, converted: MIN_EACH_CLASS, notConverted: MIN_EACH_CLASS },
            have: { contacts: cases.length, converted: positives },
          },
        )
      }
      // The same contacts always split the same way: ordered by email (then id) before the seeded shuffle.
      cases.sort(
        (a, b) => (a.email ?? '').localeCompare(b.email ?? '') || a.contactId.localeCompare(b.contactId),
      )
      const order = shuffledIndices(cases.length, 42)
      const heldCount = Math.round(cases.length / 4)
      const held = order.slice(0, heldCount).map((i) => cases[i]!)
      const train = order.slice(heldCount).map((i) => cases[i]!)
      const y = Uint8Array.from(train.map((c) => (c.converted ? 1 : 0)))
      const baseRate = y.reduce((s, v) => s + v, 0) / y.length

      // Features 0..R-1: current rules; R..R+E-1: event types; then the property levels.
      const rules = current.grid.rules
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
      const exclude = new Set([...LEAKING_PROPERTIES, ...(options.exclude ?? [])])
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
      const p = offset + map.size
      const cv = chooseLambda(x, y, p)
      const model = fitLogistic(x, y, p, { lambda: cv.lambda })
      const z = Float64Array.from(
        x.map((r) => model.intercept + Array.from(r).reduce((s, f) => s + model.weights[f]!, 0)),
      )
      let cut: number
      try {
        cut = chooseCut(z, y, options.goal ?? { kind: 'f1' })
      } catch (err) {
        // A precision no threshold reaches on these outcomes: the caller's goal, not our fault.
        if (!(err instanceof CalibrationInputError)) throw err
        throw new AppError(
          422,
          'goal_unreachable',
          `${err.message}: ask for a lower precision, or an MQL share ("mqlShare") instead`,
        )
      }
      const profilePart = toGrid({
        map,
        model: { ...model, weights: model.weights.subarray(offset) },
        cut,
        baseRate,
        name: `${current.grid.name} (suggested)`,
      })
      const { kept, added, changes } = ruleChanges({
        rules,
        train,
        weights: model.weights,
        scale: profilePart.scale,
        eventTypes,
        baseRate,
        profilePart,
      })
      const suggested = gridSchema.parse({
        ...current.grid,
        name: `${current.grid.name} (suggested)`.slice(0, 120),
        description: `Learnt from ${train.length} contacts with outcomes (${options.from.toISOString().slice(0, 10)} to ${options.to.toISOString().slice(0, 10)}) by L2 logistic regression, λ = ${cv.lambda} chosen by 5-fold cross-validation.`,
        thresholds: profilePart.grid.thresholds,
        grade: { ...current.grid.grade, ...profilePart.grid.grade },
        mqlThreshold: profilePart.grid.mqlThreshold,
        minScore: undefined,
        maxScore: undefined,
        rules: [...kept, ...added],
      })
      return {
        grid: { id: row.id, version: row.version, name: row.name, status: row.status },
        period: { from: options.from.toISOString(), to: options.to.toISOString() },
        contacts: { total: cases.length, train: train.length, heldOut: held.length, converted: positives },
        lambda: cv.lambda,
        suggested,
        changes,
        skipped: map.skipped,
        heldOut: { current: backtestOn(current.grid, held), suggested: backtestOn(suggested, held) },
        caveat:
          'Events are taken as of each decision; profile properties are their current values (no history is kept). Properties that record the outcome (lifecyclestage, hs_lead_status) are left out.',
      }
    },
  }
}

export type SuggestService = ReturnType<typeof createSuggestService>
