/**
 * Funnel KPIs per grid version and the quarterly review reminder. The SQL and
 * the definitions are in db/kpi-repository.ts; this shapes them (rates, hours, days) and decides
 * whether the grid is due for a review: reviewed = the published version's publish time, or an
 * admin's explicit "mark reviewed", whichever is later; due after REVIEW_EVERY_DAYS.
 */
import type { Clock } from '../clock.js'
import { appendAudit } from '../db/audit-repository.js'
import { addReview, lastReview } from '../db/challenger-repository.js'
import type { Db } from '../db/database.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import { kpisByVersion, monthlyMqlsAndDeals, SALES_TOUCH_EVENTS } from '../db/kpi-repository.js'
import { NotFound } from '../errors.js'

export const REVIEW_EVERY_DAYS = 90
const DAY_MS = 86_400_000
const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits
const rate = (a: number, b: number) => (b > 0 ? round(a / b) : null)

export const KPI_DEFINITIONS = {
  mql: 'A contact becomes an MQL the first time its score reaches the threshold; it is credited to the grid version that scored it so.',
  sql: 'An SQL is an MQL with an sql, opportunity or won outcome at or after its MQL moment.',
  customer: 'A customer is an MQL with a won outcome after its MQL moment.',
  salesTouch: `The first sales touch is the earlier of a ${SALES_TOUCH_EVENTS.join(' / ')} event and the SQL outcome after the MQL moment.`,
  salesCycle: 'The sales cycle runs from the MQL moment to the won outcome.',
  deal: 'A deal is created for a contact when it gets an opportunity, won or lost outcome.',
}

export function createKpiService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps

  async function reviewStatus(workspaceId: string) {
    const [published, review] = await Promise.all([
      getPublishedGrid(db, workspaceId),
      lastReview(db, workspaceId),
    ])
    if (!published) return null
    const publishedAt = published.published_at ?? published.created_at
    const last = review && review.at > publishedAt ? review.at : publishedAt
    const days = Math.floor((clock.now().getTime() - last.getTime()) / DAY_MS)
    const due = days >= REVIEW_EVERY_DAYS
    return {
      gridId: published.id,
      version: published.version,
      lastReviewedAt: last.toISOString(),
      how: review && review.at > publishedAt ? ('marked reviewed' as const) : ('published' as const),
      daysSinceReview: days,
      due,
      message: due
        ? `The grid has not been reviewed for ${days} days: review it against recent outcomes (backtest, suggestion) and publish or mark it reviewed.`
        : null,
    }
  }

  return {
    reviewStatus,

    async kpis(workspaceId: string, from: Date, to: Date) {
      const [versions, months, review] = await Promise.all([
        kpisByVersion(db, workspaceId, from, to),
        monthlyMqlsAndDeals(db, workspaceId, from, to),
        reviewStatus(workspaceId),
      ])
      return {
        period: { from: from.toISOString(), to: to.toISOString() },
        versions: versions.map((v) => {
          const mqls = Number(v.mqls)
          const sqls = Number(v.sqls)
          const customers = Number(v.customers)
          return {
            gridId: v.grid_id,
            version: v.version,
            name: v.name,
            publishedAt: v.published_at?.toISOString() ?? null,
            mqls,
            sqls,
            customers,
            dealsCreated: Number(v.deals),
            mqlToSql: rate(sqls, mqls),
            sqlToCustomer: rate(customers, sqls),
            mqlToCustomer: rate(customers, mqls),
            touched: Number(v.touched),
            medianHoursToFirstTouch:
              v.touch_seconds === null ? null : round(Number(v.touch_seconds) / 3600, 1),
            medianSalesCycleDays:
              v.cycle_seconds === null ? null : round(Number(v.cycle_seconds) / 86_400, 1),
          }
        }),
        byMonth: months.map((m) => ({ month: m.month, mqls: Number(m.mqls), dealsCreated: Number(m.deals) })),
        review,
        definitions: KPI_DEFINITIONS,
      }
    },

    /** Marks the published grid reviewed now (the reminder starts again), in the audit log too. */
    async markReviewed(workspaceId: string, actor: string, note?: string) {
      const published = await getPublishedGrid(db, workspaceId)
      if (!published) throw new NotFound('No published grid to mark reviewed')
      const at = clock.now()
      await db.transaction().execute(async (trx) => {
        await addReview(trx, workspaceId, { gridId: published.id, at, actor, note })
        await appendAudit(trx, workspaceId, {
          actor,
          action: 'grid.reviewed',
          at,
          details: { gridId: published.id, version: published.version, note: note ?? null },
        })
      })
      return reviewStatus(workspaceId)
    },
  }
}

export type KpiService = ReturnType<typeof createKpiService>
