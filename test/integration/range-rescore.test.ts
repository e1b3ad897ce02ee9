/**
 * The whole-workspace rescore as a pass over key ranges (rescore-chunk-repository.ts), on a small
 * workspace made to take that path (chunkedFrom: 1) and cut into pages of 3: two passes at once
 * share one publish (each contact scored once), a pass that fails mid-way resumes without redoing
 * committed pages, an event arriving mid-pass is not lost, a publish mid-pass restarts with the new
 * grid, an old-grid score written behind the pass is caught, and the progress bar counts the
 * contacts not reached yet.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { createDraftGrid, getPublishedGrid, publishGrid } from '../../src/db/grid-repository.js'
import { startWorkspaceRescore } from '../../src/db/rescore-chunk-repository.js'
import { countMarks, markWorkspaceForRescore } from '../../src/db/rescore-mark-repository.js'
import { createGridPreviewService } from '../../src/grids/grid-preview-service.js'
import { createGridPublishingService } from '../../src/grids/grid-publishing-service.js'
import type { ScoreTask } from '../../src/rescoring/bulk-score-tasks.js'
import { createRescoreService } from '../../src/rescoring/rescore-service.js'
import { createScoreWorkerPool, type ScorePool } from '../../src/rescoring/score-worker-pool.js'
import { gridSchema, starterGrid } from '../../src/scoring/index.js'
import { seedGeneratedContacts } from '../helpers/generated-contacts.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const NOW = '2026-11-30T12:00:00.000Z'
const clock = fixedClock(NOW)
const pool = createScoreWorkerPool({ size: 2 })
let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ clock })
}, 120_000)
afterAll(async () => {
  await pool.close()
  await t?.close()
})

/** `count` generated contacts with their events, scored once (the mark path) with the Starter grid. */
async function seed(workspaceId: string, count: number) {
  const seeded = await seedGeneratedContacts(t, workspaceId, { count, eventsPerContact: 8, now: NOW })
  await rescore().rescoreDirty(workspaceId)
  expect(await countMarks(t.deps.db, workspaceId)).toBe(0)
  return seeded
}

function rescore(threads: () => ScorePool = () => pool, pageSize = 3) {
  return createRescoreService({
    db: t.deps.db,
    clock,
    logger: t.deps.logger,
    queue: t.deps.queue,
    writeBackMappings: {},
    compiledGrids: t.deps.compiledGrids,
    scorePool: threads(),
    bulk: { pageSize },
  })
}

/**
 * Publishes the Starter grid with the whitepaper worth `points`, as a publish of a big workspace
 * does: key ranges, no mark per contact.
 */
async function publishAsBig(workspaceId: string, points: number): Promise<string> {
  const definition = structuredClone(starterGrid)
  definition.rules.find((r) => r.id === 'whitepaper')!.points = points
  return t.deps.db.transaction().execute(async (trx) => {
    const draft = await createDraftGrid(trx, workspaceId, definition, `whitepaper ${points}`)
    await publishGrid(trx, workspaceId, draft.id, clock.now())
    // publishGrid marked the few contacts (a small workspace): replaced by what a big one gets.
    await sql`DELETE FROM contact_rescore_marks WHERE workspace_id = ${workspaceId}`.execute(trx)
    await startWorkspaceRescore(trx, workspaceId, 'publish', { restart: true, chunkedFrom: 1 })
    return draft.id
  })
}

async function state(workspaceId: string) {
  const db = t.deps.db
  const scores = await db
    .selectFrom('scores')
    .select(['contact_id', 'grid_id', 'engagement'])
    .where('workspace_id', '=', workspaceId)
    .execute()
  const history = await sql<{ contact_id: string; grid_id: string; n: number }>`
    SELECT contact_id::text, grid_id::text, count(*)::int AS n FROM score_history
    WHERE workspace_id = ${workspaceId} GROUP BY contact_id, grid_id`.execute(db)
  const ranges = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM rescore_chunks WHERE workspace_id = ${workspaceId}`.execute(db)
  return {
    scores,
    history: history.rows,
    ranges: ranges.rows[0]!.n,
    marks: await countMarks(db, workspaceId),
  }
}

describe('the whole-workspace rescore over key ranges', () => {
  it('shares one publish between two passes: every contact scored once, with the new grid', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Shared')
    const n = await seed(ws, 40)
    const progress = createGridPublishingService(t.deps as never)
    const gridId = await publishAsBig(ws, 40)
    expect(await countMarks(t.deps.db, ws)).toBe(0)
    expect(await progress.progress(ws)).toEqual({ dirty: n, total: n })

    const [a, b] = await Promise.all([rescore().rescoreDirty(ws), rescore().rescoreDirty(ws)])
    expect(a + b).toBe(n)
    const after = await state(ws)
    expect(after.ranges).toBe(0)
    expect(after.marks).toBe(0)
    expect(after.scores).toHaveLength(n)
    expect(after.scores.every((s) => s.grid_id === gridId)).toBe(true)
    // Whitepaper downloaders changed visibly: one history row each for this grid, never two.
    const forGrid = after.history.filter((h) => h.grid_id === gridId)
    expect(forGrid.length).toBeGreaterThan(0)
    expect(forGrid.every((h) => h.n === 1)).toBe(true)
    expect(await progress.progress(ws)).toEqual({ dirty: 0, total: n })

    // What the pass stored is what the mark path computes: rescored that way, nothing moves.
    const stored = async () =>
      t.deps.db
        .selectFrom('scores')
        .select(['contact_id', 'fit', 'engagement', 'total', 'band', 'grade', 'mql', 'mql_since', 'reasons'])
        .select('contributions')
        .where('workspace_id', '=', ws)
        .orderBy('contact_id')
        .execute()
    const byPass = await stored()
    await markWorkspaceForRescore(t.deps.db, ws, 'manual')
    expect(await rescore().rescoreDirty(ws)).toBe(n)
    expect(await stored()).toEqual(byPass)
    expect((await state(ws)).history).toEqual(after.history)
  })

  it('resumes a pass that failed mid-way without redoing its committed pages', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Resumed')
    const n = await seed(ws, 40)
    const gridId = await publishAsBig(ws, 45)
    let tasks = 0
    const failing = {
      size: 2,
      run: (task: ScoreTask) => {
        tasks += 1
        return tasks === 4 ? Promise.reject(new Error('worker lost')) : pool.run(task)
      },
      close: async () => {},
    } as ScorePool
    await expect(rescore(() => failing).rescoreDirty(ws)).rejects.toThrow('worker lost')
    const midway = await state(ws)
    const done = midway.scores.filter((s) => s.grid_id === gridId).length
    expect(done).toBeGreaterThan(0)
    expect(done).toBeLessThan(n)
    expect(midway.ranges).toBeGreaterThan(0)

    // The failed pass let its ranges go: the next one takes them at once, where they stopped.
    expect(await rescore().rescoreDirty(ws)).toBe(n - done)
    const after = await state(ws)
    expect(after.ranges).toBe(0)
    expect(after.scores.every((s) => s.grid_id === gridId)).toBe(true)
    expect(after.history.filter((h) => h.grid_id === gridId).every((h) => h.n === 1)).toBe(true)
  })

  it('keeps an event that arrives while its page is being scored, and scores it', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Busy range')
    await seed(ws, 5)
    const quiet = 'quiet@acme-software.example'
    await t.deps.ingestion.ingestContacts(ws, [{ contact: { email: quiet }, properties: {} }], 'api')
    await rescore().rescoreDirty(ws)
    const gridId = await publishAsBig(ws, 50)
    const page = { size: 2, run: (task: ScoreTask) => pool.run(task), close: async () => {} }
    let injected = false
    page.run = async (task: ScoreTask) => {
      // Stored (and the contact marked) after every page was read, before any is written.
      if (!injected) {
        injected = true
        await t.deps.ingestion.ingestEvents(
          ws,
          [
            {
              id: 'late-pricing-visit',
              contact: { email: quiet },
              type: 'page.viewed',
              occurredAt: new Date(Date.parse(NOW) - 3_600_000).toISOString(),
              attributes: { url: 'https://acme-software.example/pricing' },
            },
          ] as never,
          'api',
        )
      }
      return pool.run(task)
    }
    const big = createRescoreService({
      db: t.deps.db,
      clock,
      logger: t.deps.logger,
      queue: t.deps.queue,
      writeBackMappings: {},
      compiledGrids: t.deps.compiledGrids,
      scorePool: page as ScorePool,
      bulk: { pageSize: 100 },
    })
    await big.rescoreDirty(ws)
    expect(injected).toBe(true)
    const after = await state(ws)
    expect(after.marks).toBe(0)
    expect(after.ranges).toBe(0)
    const row = await t.deps.db
      .selectFrom('contacts')
      .innerJoin('scores', (j) =>
        j
          .onRef('scores.workspace_id', '=', 'contacts.workspace_id')
          .onRef('scores.contact_id', '=', 'contacts.id'),
      )
      .select(['scores.engagement', 'scores.grid_id'])
      .where('contacts.workspace_id', '=', ws)
      .where('contacts.email', '=', quiet)
      .executeTakeFirstOrThrow()
    // The late pricing visit (+20) is in the stored score, with the new grid.
    expect(row).toEqual({ engagement: 20, grid_id: gridId })
  })

  it('keeps a score another writer stored after the page was read (never overwrites it with older data)', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Overtaken')
    const n = await seed(ws, 10)
    const gridId = await publishAsBig(ws, 40)
    const target = (await state(ws)).scores[0]!.contact_id
    let written = false
    const overtaking = {
      size: 2,
      run: async (task: ScoreTask) => {
        // The mark path scoring the contact with a newer event, between the page's read and write.
        if (!written && task.kind === 'rescore' && task.rows.some(([id]) => id === target)) {
          written = true
          await sql`UPDATE scores SET engagement = 77, grid_id = ${gridId}
                    WHERE workspace_id = ${ws} AND contact_id = ${target}`.execute(t.deps.db)
        }
        return pool.run(task)
      },
      close: async () => {},
    } as ScorePool
    expect(await rescore(() => overtaking).rescoreDirty(ws)).toBe(n - 1)
    expect(written).toBe(true)
    const after = await state(ws)
    expect(after.scores.find((s) => s.contact_id === target)!.engagement).toBe(77)
    expect(after.scores.every((s) => s.grid_id === gridId)).toBe(true)
  })

  it('restarts with the new grid when a publish lands mid-pass', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Republished')
    const n = await seed(ws, 30)
    await publishAsBig(ws, 40)
    let second: string | undefined
    let tasks = 0
    const racing = {
      size: 2,
      run: async (task: ScoreTask) => {
        tasks += 1
        if (tasks === 3) second = await publishAsBig(ws, 60)
        return pool.run(task)
      },
      close: async () => {},
    } as ScorePool
    // The pass ends early (its ranges were replaced); the successor job finishes with the new grid.
    await rescore(() => racing).rescoreDirty(ws)
    while ((await state(ws)).ranges > 0 || (await countMarks(t.deps.db, ws)) > 0)
      await rescore().rescoreDirty(ws)
    expect(second).toBeDefined()
    const after = await state(ws)
    expect(after.scores).toHaveLength(n)
    expect(after.scores.every((s) => s.grid_id === second)).toBe(true)
    expect((await getPublishedGrid(t.deps.db, ws))!.id).toBe(second)
  })

  it('marks a contact whose score a writer with the old grid stored behind the pass', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Laggard')
    const n = await seed(ws, 40)
    const before = (await getPublishedGrid(t.deps.db, ws))!.id
    const gridId = await publishAsBig(ws, 40)
    let reverted = 0
    const late = {
      size: 2,
      run: async (task: ScoreTask) => {
        // A mark batch that read the old grid before the publish commits after some of the pass's
        // pages: its old-grid scores land on contacts the pass has written, in a range not yet done.
        if (reverted === 0) {
          const r = await sql`
            UPDATE scores SET grid_id = ${before}
            WHERE workspace_id = ${ws} AND grid_id = ${gridId} AND EXISTS (
              SELECT 1 FROM rescore_chunks k
              WHERE k.workspace_id = scores.workspace_id AND scores.contact_id BETWEEN k.lo AND k.hi)`.execute(
            t.deps.db,
          )
          reverted = Number(r.numAffectedRows ?? 0)
        }
        return pool.run(task)
      },
      close: async () => {},
    } as ScorePool
    // Pages of one contact: ranges of several pages, some written while their range goes on.
    await rescore(() => late, 1).rescoreDirty(ws)
    expect(reverted).toBeGreaterThan(0)
    const after = await state(ws)
    expect(after.ranges).toBe(0)
    expect(after.marks).toBe(0)
    expect(after.scores).toHaveLength(n)
    expect(after.scores.every((s) => s.grid_id === gridId)).toBe(true)
  })

  it('previews "before" by scoring the contacts a pass has not reached yet, not their stored score', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Preview')
    await seed(ws, 20)
    const preview = createGridPreviewService({
      db: t.deps.db,
      clock,
      compiledGrids: t.deps.compiledGrids,
      scorePool: pool,
      pageSize: 7,
    })
    const draft = structuredClone(starterGrid)
    draft.rules.find((r) => r.id === 'pricing-page')!.points = 35
    const candidate = gridSchema.parse(draft)
    const clean = await preview.preview(ws, candidate)
    // A sweep of a big workspace under way (ranges, no marks); the stored scores made stale.
    await t.deps.db
      .transaction()
      .execute((trx) => startWorkspaceRescore(trx, ws, 'sweep', { keepReason: true, chunkedFrom: 1 }))
    await sql`UPDATE scores SET total = total + 1000 WHERE workspace_id = ${ws}`.execute(t.deps.db)
    const pending = await preview.preview(ws, candidate)
    expect(pending.before!.averageScore).toBeCloseTo(clean.before!.averageScore, 5)
    // Once the pass has been, the stored score is "before" again.
    await rescore().rescoreDirty(ws)
    await sql`UPDATE scores SET total = total + 1000 WHERE workspace_id = ${ws}`.execute(t.deps.db)
    const stored = await preview.preview(ws, candidate)
    expect(stored.before!.averageScore).toBeCloseTo(clean.before!.averageScore + 1000, 5)
  })
})
