/**
 * Whole-workspace rescores (publish, daily sweep, manual) as a pass over a few key ranges of the
 * workspace's contacts (migrations/015_rescore_chunks.sql) instead of a mark per contact.
 *
 * Why: at 200,000 contacts the publish's mark rows cost PostgreSQL four writes per contact around
 * the score itself — insert the mark, lock it, lock the contact row, delete the mark — and a
 * million dead rows to vacuum (profile in docs/scaling.md). A range costs one row per sixteenth of
 * the uuid space, whatever the workspace's size.
 *
 * The guarantees the marks gave, and how ranges keep them:
 * - A crash redoes at most the pages in flight: a range's cursor (`done_to`) moves in the same
 *   transaction as the page's scores (`advanceChunk`), so they commit or vanish together.
 * - A change arriving mid-pass is never lost: events and profile changes still mark their contact
 *   (rescore-mark-repository.ts), and the pass never deletes a mark. A page writes a score only if
 *   the stored row is still the version it read (`holdUnchangedScores`): a contact rescored by
 *   the mark path meanwhile keeps that newer score, and one whose event arrives after the page's
 *   write keeps its mark and is scored again with the event.
 * - A publish mid-pass restarts with the new grid: it replaces the workspace's ranges, so a page of
 *   the old pass finds its range gone (`advanceChunk` answers false) and rolls back.
 * - A writer that read the old grid before the publish committed (a mark batch in flight) can still
 *   store an old-grid score after the pass wrote the new one. Such a writer holds its contacts'
 *   marks (it takes them before reading the grid). When the pass's last range is dropped,
 *   `finishChunk` marks every contact whose stored score is not the pass's grid's or that has a
 *   mark; the insert waits for a held mark (ON CONFLICT DO UPDATE, as in
 *   rescore-mark-repository.ts), so either way the contact is rescored after that writer's commit.
 * - Several passes (threads of one process, or other worker processes) share the work: a pass
 *   claims one range at a time with a lease it renews with every page. A pass that dies loses its
 *   ranges when the lease ends; a page of a pass whose lease was taken over finds its claim gone.
 *
 * Small workspaces keep one mark per contact: the small path scores them in one transaction,
 * without starting the scoring threads.
 */
import { randomUUID } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import type { Db } from './database.js'
import { markWorkspaceForRescore } from './rescore-mark-repository.js'
import type { Database } from './schema.js'

type Executor = Db | Transaction<Database>

/** From this many contacts on, a whole-workspace rescore is a pass over ranges (rescore-service's bulk threshold). */
export const CHUNKED_FROM = 5000
/** A claimed range is the pass's for this long after its last page (pages take about a second). */
const LEASE = '30 seconds'

/** The uuid space cut by the first hex digit: 16 ranges, [lo, hi] inclusive. */
const RANGES = Array.from({ length: 16 }, (_, i) => {
  const h = i.toString(16)
  return { lo: `${h}0000000-0000-0000-0000-000000000000`, hi: `${h}fffffff-ffff-ffff-ffff-ffffffffffff` }
})

export interface RescoreChunk {
  lo: string
  hi: string
  doneTo: string | null
  gridId: string
  reason: string
}

/**
 * Every contact of the workspace is due a rescore. `restart` (a publish): a pass already running
 * starts over with the published grid; otherwise (sweep, manual) a running pass is left to finish,
 * as it scores every contact at its own time anyway. Below `chunkedFrom` contacts, or with no
 * published grid, one mark per contact as before (`keepReason` as markWorkspaceForRescore's).
 */
export async function startWorkspaceRescore(
  trx: Transaction<Database>,
  workspaceId: string,
  reason: string,
  options: { restart?: boolean; keepReason?: boolean; chunkedFrom?: number } = {},
): Promise<void> {
  const chunkedFrom = options.chunkedFrom ?? CHUNKED_FROM
  const { rows: big } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT 1 FROM contacts WHERE workspace_id = ${workspaceId} LIMIT ${chunkedFrom}) t`.execute(trx)
  const { rows: grid } = await sql<{ id: string }>`
    SELECT id::text AS id FROM grids WHERE workspace_id = ${workspaceId} AND status = 'published'`.execute(
    trx,
  )
  const gridId = grid[0]?.id
  if (options.restart) await sql`DELETE FROM rescore_chunks WHERE workspace_id = ${workspaceId}`.execute(trx)
  if ((big[0]?.n ?? 0) < chunkedFrom || !gridId) {
    await markWorkspaceForRescore(trx, workspaceId, reason, { keepReason: options.keepReason })
    return
  }
  // A pass still running (sweep, manual) keeps its ranges: ON CONFLICT leaves them as they are.
  await sql`
    INSERT INTO rescore_chunks (workspace_id, lo, hi, grid_id, reason)
    SELECT ${workspaceId}, r.lo, r.hi, ${gridId}, ${reason}
    FROM unnest(${RANGES.map((r) => r.lo)}::uuid[], ${RANGES.map((r) => r.hi)}::uuid[]) AS r(lo, hi)
    ON CONFLICT (workspace_id, lo) DO NOTHING`.execute(trx)
}

/** A fresh claim token: one per pass, shared by its lanes (each holds its own range). */
export const newClaim = (): string => randomUUID()

/** Takes a range nobody holds (or whose holder's lease ran out); null when none is left to take. */
export async function claimChunk(
  db: Executor,
  workspaceId: string,
  claim: string,
): Promise<RescoreChunk | null> {
  const { rows } = await sql<{
    lo: string
    hi: string
    done_to: string | null
    grid_id: string
    reason: string
  }>`
    UPDATE rescore_chunks k SET claim = ${claim}, claimed_until = now() + ${LEASE}::interval
    WHERE (k.workspace_id, k.lo) = (
      SELECT workspace_id, lo FROM rescore_chunks
      WHERE workspace_id = ${workspaceId} AND (claimed_until IS NULL OR claimed_until < now())
      ORDER BY lo LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING k.lo::text AS lo, k.hi::text AS hi, k.done_to::text AS done_to, k.grid_id::text AS grid_id,
              k.reason`.execute(db)
  const r = rows[0]
  return r ? { lo: r.lo, hi: r.hi, doneTo: r.done_to, gridId: r.grid_id, reason: r.reason } : null
}

/**
 * In a page's transaction, first: moves the range's cursor to `doneTo` and renews the lease. False
 * when the range is no longer this pass's (a publish replaced it, or the lease was taken over):
 * the page must then roll back. The row lock it takes makes a publish wait for this page's commit.
 */
export async function advanceChunk(
  trx: Transaction<Database>,
  workspaceId: string,
  chunk: RescoreChunk,
  claim: string,
  doneTo: string,
): Promise<boolean> {
  const { rows } = await sql`
    UPDATE rescore_chunks SET done_to = ${doneTo}, claimed_until = now() + ${LEASE}::interval
    WHERE workspace_id = ${workspaceId} AND lo = ${chunk.lo} AND claim = ${claim} AND grid_id = ${chunk.gridId}
    RETURNING 1`.execute(trx)
  return rows.length > 0
}

/** Lets a range go (the pass's time is up, or it failed): another pass takes it at once. */
export async function releaseChunk(db: Executor, workspaceId: string, chunk: RescoreChunk, claim: string) {
  await sql`
    UPDATE rescore_chunks SET claim = NULL, claimed_until = NULL
    WHERE workspace_id = ${workspaceId} AND lo = ${chunk.lo} AND claim = ${claim}`.execute(db)
}

/**
 * The range is done: drops it, and when it was the pass's last, marks the workspace's contacts
 * whose stored score is not the pass's grid's (a writer that read the old grid and committed, a
 * contact a page skipped because a writer held it — see the header), and touches the marks its
 * contacts already have: a writer still in flight holds its contacts' marks, so ON CONFLICT DO
 * UPDATE waits for its commit and then marks them afresh (its score may be the old grid's). A
 * writer that takes its marks after this reads the new grid.
 *
 * Once per pass, not per range: measured at 1,000,000 contacts, checking each range as it ended
 * read its 62,500 stored scores in key order — random heap pages, 15–20 % of the database's time
 * in the pass — where one look over the workspace's scores can read them in table order.
 * Finishers take turns (a transaction-scoped advisory lock), so exactly one sees the last range go.
 *
 * One transaction, committed synchronously: it also makes durable every page committed before it
 * with synchronous_commit off (WAL is flushed in order). Returns how many contacts it marked; null
 * when the range was no longer this pass's.
 */
export async function finishChunk(
  trx: Transaction<Database>,
  workspaceId: string,
  chunk: RescoreChunk,
  claim: string,
): Promise<number | null> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`rescore-ranges|${workspaceId}`}, 0))`.execute(
    trx,
  )
  const { rows } = await sql`
    DELETE FROM rescore_chunks
    WHERE workspace_id = ${workspaceId} AND lo = ${chunk.lo} AND claim = ${claim} AND grid_id = ${chunk.gridId}
    RETURNING 1`.execute(trx)
  if (rows.length === 0) return null
  if (await hasChunks(trx, workspaceId)) return 0
  const marked = await sql`
    INSERT INTO contact_rescore_marks (workspace_id, contact_id, reason)
    SELECT c.workspace_id, c.id, ${chunk.reason}
    FROM contacts c
    LEFT JOIN scores s ON s.workspace_id = c.workspace_id AND s.contact_id = c.id
    WHERE c.workspace_id = ${workspaceId}
      AND (s.grid_id IS DISTINCT FROM ${chunk.gridId}::uuid OR EXISTS (
        SELECT 1 FROM contact_rescore_marks m WHERE m.workspace_id = c.workspace_id AND m.contact_id = c.id))
    ORDER BY c.id
    ON CONFLICT (workspace_id, contact_id) DO UPDATE SET reason = contact_rescore_marks.reason`.execute(trx)
  return Number(marked.numAffectedRows ?? 0)
}

/** True while the workspace has a pass whose ranges are not all done. */
export async function hasChunks(db: Executor, workspaceId: string): Promise<boolean> {
  const { rows } =
    await sql`SELECT 1 FROM rescore_chunks WHERE workspace_id = ${workspaceId} LIMIT 1`.execute(db)
  return rows.length > 0
}

/** True when a range is left that no live pass holds. */
export async function hasClaimableChunk(db: Executor, workspaceId: string): Promise<boolean> {
  const { rows } = await sql`
    SELECT 1 FROM rescore_chunks
    WHERE workspace_id = ${workspaceId} AND (claimed_until IS NULL OR claimed_until < now()) LIMIT 1`.execute(
    db,
  )
  return rows.length > 0
}

/** Workspaces with a pass under way (the catch-up job's question, beside the marks'). */
export async function workspacesWithChunks(db: Executor): Promise<string[]> {
  const { rows } = await sql<{
    id: string
  }>`SELECT DISTINCT workspace_id::text AS id FROM rescore_chunks`.execute(db)
  return rows.map((r) => r.id)
}

/**
 * Contacts the workspace's pass has still to reach (all workspaces' when `workspaceId` is
 * omitted): an index-only count of the ranges' remaining ids.
 */
export async function countChunkBacklog(db: Executor, workspaceId?: string): Promise<number> {
  const filter = workspaceId === undefined ? sql`` : sql`WHERE k.workspace_id = ${workspaceId}`
  const { rows } = await sql<{ n: number }>`
    SELECT coalesce(sum((
      SELECT count(*) FROM contacts c
      WHERE c.workspace_id = k.workspace_id AND c.id BETWEEN k.lo AND k.hi
        AND (k.done_to IS NULL OR c.id > k.done_to))), 0)::int AS n
    FROM rescore_chunks k ${filter}`.execute(db)
  return rows[0]?.n ?? 0
}

/** Every workspace, in id order: the daily sweep rescores each in turn. */
export async function workspacesToSweep(db: Executor): Promise<string[]> {
  const rows = await db.selectFrom('workspaces').select('id').orderBy('id').execute()
  return rows.map((r) => r.id)
}
