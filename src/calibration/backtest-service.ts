/**
 * Backtesting a grid version (draft, published or past) over a period: every contact with an
 * outcome in [from, to) is scored by the engine AS OF its decision time (its first outcome of the
 * period) — the engine ignores events after `now`, so nothing that happened later counts. Profile
 * properties are the contact's current ones (Leadgrid keeps no history of property values), so a
 * fit rule on a property sales edits after the decision (lifecycle stage) would look better than it
 * was; the answer says so.
 */
import type { Db } from '../db/database.js'
import { getGrid } from '../db/grid-repository.js'
import type { OutcomeKind } from '../domain/outcome.js'
import { NotFound } from '../errors.js'
import {
  type CompiledGrid,
  type CompiledGridCache,
  compileGrid,
  type Grid,
  scoreContacts,
} from '../scoring/index.js'
import { type BacktestFigures, type BacktestItem, backtestFigures } from './backtest.js'
import { forEachDecidedChunk } from './decided-contacts.js'

/** Outcomes that mean the lead was worth sales' time. */
export const CONVERTED_KINDS: readonly OutcomeKind[] = ['sql', 'opportunity', 'won']
/** Most contacts scored by one backtest (the answer says when the period held more). */
export const MAX_BACKTEST_CONTACTS = 20_000

export interface BacktestResult extends BacktestFigures {
  grid: { id: string | null; version: number | null; name: string; status: string }
  period: { from: string; to: string }
  truncated: boolean
  caveat: string
}

export function createBacktestService(deps: { db: Db; compiledGrids: CompiledGridCache }) {
  const { db } = deps

  /** Scores every contact with an outcome in [from, to) as of its decision, with `grid`. */
  async function run(
    workspaceId: string,
    { grid, compiled }: { grid: Grid; compiled: CompiledGrid },
    from: Date,
    to: Date,
  ): Promise<{ items: BacktestItem[]; truncated: boolean }> {
    const items: BacktestItem[] = []
    const { truncated } = await forEachDecidedChunk(
      db,
      workspaceId,
      { from, to },
      { limit: MAX_BACKTEST_CONTACTS, lookbackDays: grid.lookbackDays },
      (chunk) => {
        const results = scoreContacts(compiled, chunk, {
          events: (d) => d.events,
          previous: () => null,
          at: (d) => d.decision.decidedAt.getTime(),
        })
        chunk.forEach(({ decision, email }, i) => {
          const result = results[i]!
          items.push({
            contactId: decision.contactId,
            email,
            decidedAt: decision.decidedAt.toISOString(),
            score: result.total,
            band: result.band,
            mql: result.mql,
            reasons: result.reasons,
            converted: decision.kinds.some((k) => CONVERTED_KINDS.includes(k)),
          })
        })
      },
    )
    return { items, truncated }
  }

  const answer = (
    grid: BacktestResult['grid'],
    mqlThreshold: number,
    from: Date,
    to: Date,
    r: { items: BacktestItem[]; truncated: boolean },
  ): BacktestResult => ({
    grid,
    period: { from: from.toISOString(), to: to.toISOString() },
    truncated: r.truncated,
    caveat:
      'Events are taken as of each decision; profile properties are their current values (no history is kept).',
    ...backtestFigures(r.items, mqlThreshold),
  })

  return {
    async backtest(workspaceId: string, gridId: string, from: Date, to: Date): Promise<BacktestResult> {
      const row = await getGrid(db, workspaceId, gridId)
      if (!row) throw new NotFound(`No grid ${gridId} in this workspace`)
      const compiled = deps.compiledGrids.get(row.id, row.definition)
      const meta = { id: row.id, version: row.version, name: row.name, status: row.status }
      return answer(meta, compiled.grid.mqlThreshold, from, to, await run(workspaceId, compiled, from, to))
    },

    /** The same for an unsaved definition (the settings page's draft), already validated. */
    async backtestDefinition(workspaceId: string, grid: Grid, from: Date, to: Date): Promise<BacktestResult> {
      const compiled = { grid, compiled: compileGrid(grid) }
      const meta = { id: null, version: null, name: grid.name, status: 'unsaved' }
      return answer(meta, grid.mqlThreshold, from, to, await run(workspaceId, compiled, from, to))
    },
  }
}

export type BacktestService = ReturnType<typeof createBacktestService>
