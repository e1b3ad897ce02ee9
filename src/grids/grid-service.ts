/**
 * Grid lifecycle: draft → published (immutable) → retired, and simulation of a grid on the
 * workspace's own contacts before publishing it.
 */
import type { Clock } from '../clock.js'
import { appendAudit } from '../db/audit-repository.js'
import type { Db } from '../db/database.js'
import { loadEventsForContacts } from '../db/event-repository.js'
import { createDraftGrid, getGrid, getPublishedGrid, listGrids, publishGrid } from '../db/grid-repository.js'
import { transactionWithRetry } from '../db/retry-transaction.js'
import type { GridRow } from '../db/schema.js'
import { recentContacts } from '../db/scoring-contact-repository.js'
import { BadRequest, Conflict, NotFound } from '../errors.js'
import type { JobQueue } from '../jobs/queue.js'
import { type CompiledGridCache, gridSchema, type ScoreResult, scoreContacts } from '../scoring/index.js'
import { diffGrids } from './grid-diff.js'

const DAY_MS = 86_400_000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A simulation's figures for one grid. */
const summary = (scores: { band: string; mql: boolean; total: number }[]) => ({
  cold: scores.filter((s) => s.band === 'cold').length,
  warm: scores.filter((s) => s.band === 'warm').length,
  hot: scores.filter((s) => s.band === 'hot').length,
  mql: scores.filter((s) => s.mql).length,
  averageScore: scores.length
    ? Math.round((scores.reduce((a, s) => a + s.total, 0) / scores.length) * 10) / 10
    : 0,
})

export function gridView(row: GridRow) {
  return {
    id: row.id,
    version: row.version,
    name: row.name,
    status: row.status,
    note: row.note,
    createdAt: row.created_at.toISOString(),
    publishedAt: row.published_at?.toISOString() ?? null,
    definition: row.definition,
  }
}

/** Who publishes, as the audit log names them, and what the entry adds (a rollback's target…). */
export interface PublishAudit {
  actor: string
  action?: 'grid.published' | 'grid.rolled_back'
  details?: Record<string, unknown>
}

export interface PublishResult {
  grid: GridRow
  /** The readable rule diff against the version it replaced (`+20 → +30 Pricing page`). */
  changes: string[]
}

export function createGridService(deps: {
  db: Db
  clock: Clock
  queue: Pick<JobQueue, 'send'>
  compiledGrids: CompiledGridCache
}) {
  const { db, clock, queue } = deps

  async function mustGet(workspaceId: string, gridId: string): Promise<GridRow> {
    if (!UUID.test(gridId)) throw new NotFound(`No grid ${gridId}`)
    const row = await getGrid(db, workspaceId, gridId)
    if (!row) throw new NotFound(`No grid ${gridId} in this workspace`)
    return row
  }

  return {
    list: (workspaceId: string) => listGrids(db, workspaceId),
    get: mustGet,
    published: (workspaceId: string) => getPublishedGrid(db, workspaceId),

    async createDraft(workspaceId: string, definition: unknown, note?: string): Promise<GridRow> {
      const parsed = gridSchema.safeParse(definition)
      if (!parsed.success) {
        const details = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
        throw new BadRequest(
          `The grid is not valid: ${details
            .slice(0, 3)
            .map((d) => `${d.path || 'grid'}: ${d.message}`)
            .join('; ')}`,
          details,
          'invalid_grid',
        )
      }
      return db.transaction().execute((trx) => createDraftGrid(trx, workspaceId, parsed.data, note))
    },

    /**
     * Publishes a draft and records it in the audit log in the same transaction, whoever publishes
     * (settings page, API key, command line): a publish is never missing from the log, and a failed
     * publish never leaves an entry behind.
     */
    async publish(workspaceId: string, gridId: string, by: PublishAudit): Promise<PublishResult> {
      const row = await mustGet(workspaceId, gridId)
      if (row.status === 'published') throw new Conflict('This grid version is already published')
      const at = clock.now()
      // Safe to run again whole: publishes are serialised per workspace and marking is idempotent.
      const changes = await transactionWithRetry(
        db,
        async (trx) => {
          const previous = await publishGrid(trx, workspaceId, gridId, at)
          const changes = diffGrids(
            previous ? gridSchema.parse(previous.definition) : null,
            gridSchema.parse(row.definition),
          )
          await appendAudit(trx, workspaceId, {
            actor: by.actor,
            action: by.action ?? 'grid.published',
            at,
            details: {
              gridId,
              version: row.version,
              previousVersion: previous?.version ?? null,
              note: row.note ?? null,
              changes,
              ...by.details,
            },
          })
          return changes
        },
        { label: 'publish' },
      )
      try {
        await queue.send('rescore-dirty', { workspaceId })
      } catch {
        // Published and every contact marked dirty: the catch-up job rescores them.
      }
      return { grid: await mustGet(workspaceId, gridId), changes }
    },

    /** Scores up to `limit` recent contacts with the grid and with the published one, side by side. */
    async simulate(workspaceId: string, gridId: string, limit = 2000) {
      const candidate = await mustGet(workspaceId, gridId)
      const current = await getPublishedGrid(db, workspaceId)
      const contacts = await recentContacts(db, workspaceId, limit)
      const now = clock.now().getTime()
      const grids = [candidate, ...(current ? [current] : [])].map((g) =>
        deps.compiledGrids.get(g.id, g.definition),
      )
      const lookback = Math.max(...grids.map((g) => g.grid.lookbackDays))
      const events = await loadEventsForContacts(
        db,
        workspaceId,
        contacts.map((c) => c.id),
        new Date(now - lookback * DAY_MS),
      )
      const context = { events: (c: { id: string }) => events.get(c.id) ?? [], at: now }
      const next = scoreContacts(grids[0]!.compiled, contacts, context)
      const before: ScoreResult[] | null = grids[1]
        ? scoreContacts(grids[1].compiled, contacts, context)
        : null
      const rows = contacts.map((c, i) => ({
        contactId: c.id,
        email: c.email,
        next: next[i]!,
        before: before ? before[i]! : null,
      }))
      const movers = rows
        .filter((r) => r.before && r.before.total !== r.next.total)
        .sort((a, b) => Math.abs(b.next.total - b.before!.total) - Math.abs(a.next.total - a.before!.total))
        .slice(0, 20)
      return {
        gridId: candidate.id,
        comparedWith: current?.id ?? null,
        contacts: rows.length,
        candidate: summary(rows.map((r) => r.next)),
        current: current ? summary(rows.map((r) => r.before!)) : null,
        newlyMql: rows.filter((r) => r.next.mql && r.before && !r.before.mql).length,
        noLongerMql: rows.filter((r) => !r.next.mql && r.before?.mql).length,
        biggestChanges: movers.map((r) => ({
          contactId: r.contactId,
          email: r.email,
          before: r.before!.total,
          after: r.next.total,
          reasons: r.next.reasons,
        })),
      }
    },
  }
}

export type GridService = ReturnType<typeof createGridService>
