/**
 * Champion/challenger. A draft grid promoted to "challenger" is scored in shadow on live traffic
 * (challenger-shadow.ts: each page the rescore scores with the champion is scored with the
 * challenger too, into its own table). The comparison is the backtest of both grids over the same
 * contacts (those with an outcome since the challenger started, each scored as of its decision),
 * beside the live shadow counts; promotion publishes the challenger as the new version and records
 * it in the audit log.
 */
import type { Clock } from '../clock.js'
import { appendAudit } from '../db/audit-repository.js'
import { clearChallenger, getChallenger, setChallenger, shadowSummary } from '../db/challenger-repository.js'
import type { Db } from '../db/database.js'
import { getGrid, getPublishedGrid } from '../db/grid-repository.js'
import { publishApprovalRequired } from '../db/publish-request-repository.js'
import { Conflict, NotFound } from '../errors.js'
import type { GridPublishingService } from '../grids/grid-publishing-service.js'
import type { CompiledGridCache } from '../scoring/index.js'
import type { BacktestService } from './backtest-service.js'

export interface ChallengerDeps {
  db: Db
  clock: Clock
  compiledGrids: CompiledGridCache
  publishing: GridPublishingService
  backtests: BacktestService
}

export function createChallengerService(deps: ChallengerDeps) {
  const { db, clock, publishing, backtests } = deps

  async function current(workspaceId: string) {
    const challenger = await getChallenger(db, workspaceId)
    if (!challenger) throw new NotFound('This workspace has no challenger grid')
    const row = await getGrid(db, workspaceId, challenger.gridId)
    if (!row) throw new NotFound('This workspace has no challenger grid')
    return { challenger, row }
  }

  return {
    /** The challenger and its grid row; 404 when there is none. */
    current,

    /** Makes a draft the challenger (replacing any other); it is scored from the next rescore on. */
    async start(workspaceId: string, gridId: string, actor: string) {
      const row = await getGrid(db, workspaceId, gridId)
      if (!row) throw new NotFound(`No grid ${gridId} in this workspace`)
      if (row.status !== 'draft')
        throw new Conflict(
          `Grid version ${row.version} is ${row.status}: only a draft can be a challenger`,
          'not_a_draft',
        )
      // Compiled now: the first page scored in shadow finds it ready.
      deps.compiledGrids.get(row.id, row.definition)
      const at = clock.now()
      await db.transaction().execute(async (trx) => {
        await setChallenger(trx, workspaceId, gridId, at, actor)
        await appendAudit(trx, workspaceId, {
          actor,
          action: 'challenger.started',
          at,
          details: { gridId, version: row.version, name: row.name },
        })
      })
      return { gridId, version: row.version, name: row.name, startedAt: at.toISOString() }
    },

    async stop(workspaceId: string, actor: string) {
      const { row } = await current(workspaceId)
      await db.transaction().execute(async (trx) => {
        await clearChallenger(trx, workspaceId)
        await appendAudit(trx, workspaceId, {
          actor,
          action: 'challenger.stopped',
          at: clock.now(),
          details: { gridId: row.id, version: row.version },
        })
      })
    },

    /**
     * The challenger beside the champion: live shadow counts, and both grids backtested on the
     * same contacts — those with an outcome since the challenger started (or since `from`).
     */
    async compare(workspaceId: string, from?: Date) {
      const challenger = await getChallenger(db, workspaceId)
      if (!challenger) return { challenger: null }
      const row = await getGrid(db, workspaceId, challenger.gridId)
      const champion = await getPublishedGrid(db, workspaceId)
      if (!row) return { challenger: null }
      // Promoted through the two-person rule: the approved publish is a copy of the challenger's
      // definition. Once that copy is the champion, the trial is over (the page's promote asked for it).
      if (
        champion?.published_at &&
        champion.published_at >= challenger.startedAt &&
        JSON.stringify(champion.definition) === JSON.stringify(row.definition)
      ) {
        await db.transaction().execute(async (trx) => {
          await clearChallenger(trx, workspaceId)
          await appendAudit(trx, workspaceId, {
            actor: 'leadgrid',
            action: 'challenger.promoted',
            at: clock.now(),
            details: {
              challengerGridId: row.id,
              challengerVersion: row.version,
              publishedVersion: champion.version,
              startedAt: challenger.startedAt.toISOString(),
              via: 'approved publish',
            },
          })
        })
        return { challenger: null }
      }
      const to = new Date(clock.now().getTime() + 1)
      const since = from ?? challenger.startedAt
      const [live, challengerBacktest, championBacktest] = await Promise.all([
        shadowSummary(db, workspaceId, row.id),
        backtests.backtest(workspaceId, row.id, since, to),
        champion ? backtests.backtest(workspaceId, champion.id, since, to) : Promise.resolve(null),
      ])
      return {
        challenger: {
          gridId: row.id,
          version: row.version,
          name: row.name,
          startedAt: challenger.startedAt.toISOString(),
          startedBy: challenger.startedBy,
        },
        champion: champion ? { gridId: champion.id, version: champion.version, name: champion.name } : null,
        live,
        period: { from: since.toISOString(), to: to.toISOString() },
        backtest: { champion: championBacktest, challenger: challengerBacktest },
      }
    },

    /** Publishes the challenger as the new version (a copy of its definition) and ends the trial. */
    async promote(workspaceId: string, actor: string) {
      const { challenger, row } = await current(workspaceId)
      if (await publishApprovalRequired(db, workspaceId))
        throw new Conflict(
          'This workspace requires a second admin’s approval to publish (two-person rule): promote from the settings page, where the publish waits for another admin',
          'approval_required',
        )
      const { grid, changes } = await publishing.publish(
        workspaceId,
        actor,
        row.definition,
        `Challenger version ${row.version} promoted`,
        { challengerGridId: row.id, challengerVersion: row.version },
      )
      await clearChallenger(db, workspaceId)
      await appendAudit(db, workspaceId, {
        actor,
        action: 'challenger.promoted',
        at: clock.now(),
        details: {
          challengerGridId: row.id,
          challengerVersion: row.version,
          publishedVersion: grid.version,
          startedAt: challenger.startedAt.toISOString(),
        },
      })
      return { grid, changes }
    },
  }
}

export type ChallengerService = ReturnType<typeof createChallengerService>
