/**
 * The cases a suggestion learns from: the workspace's contacts with an outcome, each described AS
 * OF its decision (first outcome) like the backtest does — the rules of the current grid that
 * scored it then, its events before the decision within the grid's lookback, its profile. Also the
 * checks and the split a fit needs, and the backtest of a grid on held-out cases.
 */
import type { Db } from '../db/database.js'
import { AppError } from '../errors.js'
import {
  type CompiledGridEntry,
  compileGrid,
  evaluate,
  type Grid,
  prepareEvents,
  scoreContacts,
} from '../scoring/index.js'
import { type BacktestItem, backtestFigures } from './backtest.js'
import { CONVERTED_KINDS, MAX_BACKTEST_CONTACTS } from './backtest-service.js'
import { shuffledIndices } from './cross-validation.js'
import { type DecidedContact, forEachDecidedChunk } from './decided-contacts.js'
import type { Case } from './suggest-changes.js'

export const MIN_OUTCOMES = 50
export const MIN_EACH_CLASS = 10
const DAY_MS = 86_400_000

/** The decided contacts of the period as cases, scored with the current grid as of each decision. */
export async function loadCases(
  db: Db,
  workspaceId: string,
  current: CompiledGridEntry,
  from: Date,
  to: Date,
): Promise<Case[]> {
  const cases: Case[] = []
  const lookbackMs = current.grid.lookbackDays * DAY_MS
  // Only events before the decision, within the current grid's lookback, describe the lead then
  // (a chunk's events start at its earliest decision's lookback).
  const asOfDecision = (d: DecidedContact): DecidedContact => {
    const now = d.decision.decidedAt.getTime()
    const events = d.events.filter((e) => {
      const t = Date.parse(e.occurredAt)
      return t <= now && t > now - lookbackMs
    })
    return { ...d, events }
  }
  await forEachDecidedChunk(
    db,
    workspaceId,
    { from, to },
    { limit: MAX_BACKTEST_CONTACTS, lookbackDays: current.grid.lookbackDays },
    (chunk) => {
      const decided = chunk.map(asOfDecision)
      const results = scoreContacts(current.compiled, decided, {
        events: (d) => d.events,
        previous: () => null,
        at: (d) => d.decision.decidedAt.getTime(),
      })
      decided.forEach((d, i) => {
        const hits = new Map<string, number>()
        for (const k of results[i]!.contributions) if (k.kind !== 'group') hits.set(k.ruleId, k.count ?? 1)
        cases.push({
          contactId: d.decision.contactId,
          email: d.email,
          decidedAt: d.decision.decidedAt,
          converted: d.decision.kinds.some((k) => CONVERTED_KINDS.includes(k)),
          profile: d.profile as Case['profile'],
          createdAt: d.firstSeenAt.getTime(),
          events: d.events,
          hits,
        })
      })
    },
  )
  return cases
}

/** Refuses (422) a period with too few outcomes, or too few of either class, to learn from. */
export function requireEnoughOutcomes(cases: readonly Case[]): { positives: number } {
  const positives = cases.filter((c) => c.converted).length
  if (
    cases.length >= MIN_OUTCOMES &&
    positives >= MIN_EACH_CLASS &&
    cases.length - positives >= MIN_EACH_CLASS
  )
    return { positives }
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

/** A fixed-seed quarter held out, the rest to train on; the same contacts always split the same way. */
export function splitHeldOut(cases: Case[]): { held: Case[]; train: Case[] } {
  // Ordered by email (then id) before the seeded shuffle.
  cases.sort((a, b) => (a.email ?? '').localeCompare(b.email ?? '') || a.contactId.localeCompare(b.contactId))
  const order = shuffledIndices(cases.length, 42)
  const heldCount = Math.round(cases.length / 4)
  return {
    held: order.slice(0, heldCount).map((i) => cases[i]!),
    train: order.slice(heldCount).map((i) => cases[i]!),
  }
}

/** The backtest figures of `grid` on `cases`, each scored as of its decision. */
export function backtestOn(grid: Grid, cases: readonly Case[]) {
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
