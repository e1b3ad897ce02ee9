/**
 * Bulk scoring (preview and rescore after publish) through the scoring threads, on a small
 * workspace cut into small pages: the threads give exactly the engine's scores, the preview's
 * "before" from stored scores is what rescoring with the published grid gives, and a rescore
 * interrupted mid-way then resumed scores every contact once — no history row twice.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { loadEventsForContacts } from '../../src/db/event-repository.js'
import { getPublishedGrid } from '../../src/db/grid-repository.js'
import { countMarks, markWorkspaceForRescore } from '../../src/db/rescore-mark-repository.js'
import { createGridPreviewService } from '../../src/grids/grid-preview-service.js'
import type { ScoreTask } from '../../src/rescoring/bulk-score-tasks.js'
import { createRescoreService } from '../../src/rescoring/rescore-service.js'
import { createScoreWorkerPool, type ScorePool } from '../../src/rescoring/score-worker-pool.js'
import { evaluate, gridSchema, prepareEvents, starterGrid } from '../../src/scoring/index.js'
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

/** `count` generated contacts with their events, through the real ingestion path. */
async function seed(workspaceId: string, count: number) {
  const seeded = await seedGeneratedContacts(t, workspaceId, { count, eventsPerContact: 8, now: NOW })
  return seeded
}

/** A rescore service whose every run takes the bulk path, in pages of 7, on two threads. */
function bulkRescore(threads: () => ScorePool = () => pool, budgetMs?: number) {
  return createRescoreService({
    db: t.deps.db,
    clock,
    logger: t.deps.logger,
    queue: t.deps.queue,
    writeBackMappings: {},
    compiledGrids: t.deps.compiledGrids,
    scorePool: threads(),
    bulk: { from: 1, pageSize: 7, budgetMs },
  })
}

const count = async (table: 'scores' | 'score_history', workspaceId: string) =>
  Number(
    (
      await t.deps.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow()
    ).n,
  )

/** Every stored score of the workspace against evaluate() on the same inputs, `previous` included. */
async function expectEngineScores(
  ws: string,
  previous: Map<string, { mql: boolean; mqlSince: string | null }>,
) {
  const published = (await getPublishedGrid(t.deps.db, ws))!
  const { grid, compiled } = t.deps.compiledGrids.get(published.id, published.definition)
  const contacts = await t.deps.db
    .selectFrom('contacts')
    .innerJoin('scores', (j) =>
      j
        .onRef('scores.workspace_id', '=', 'contacts.workspace_id')
        .onRef('scores.contact_id', '=', 'contacts.id'),
    )
    .selectAll()
    .where('contacts.workspace_id', '=', ws)
    .execute()
  const now = Date.parse(NOW)
  const events = await loadEventsForContacts(
    t.deps.db,
    ws,
    contacts.map((c) => c.contact_id),
    new Date(now - grid.lookbackDays * 86_400_000),
  )
  let withEvents = 0
  for (const c of contacts) {
    const own = events.get(c.contact_id) ?? []
    if (own.length > 0) withEvents += 1
    const expected = evaluate(
      compiled,
      {
        profile: c.properties,
        createdAt: c.first_seen_at.getTime(),
        events: prepareEvents(own),
        previous: previous.get(c.contact_id),
      },
      now,
    )
    expect({
      fit: c.fit,
      engagement: c.engagement,
      total: c.total,
      band: c.band,
      grade: c.grade,
      mql: c.mql,
      mqlSince: c.mql_since?.toISOString() ?? null,
      reasons: c.reasons,
      contributions: c.contributions,
    }).toEqual(expected)
  }
  return { contacts, withEvents }
}

describe('bulk scoring through the threads', () => {
  it('stores exactly what the engine computes, contact by contact', async () => {
    const ws = t.workspace.workspaceId
    const n = await seed(ws, 40)
    expect(await bulkRescore().rescoreDirty(ws)).toBe(n)
    expect(await countMarks(t.deps.db, ws)).toBe(0)

    const first = await expectEngineScores(ws, new Map())
    expect(first.contacts).toHaveLength(n)
    const withEvents = first.withEvents
    expect(withEvents).toBeGreaterThan(30)
    // Each contact's first score is a visible change: one history row each.
    expect(await count('score_history', ws)).toBe(n)

    // Again, with stored MQL status as the previous one (hysteresis, MQL-since carried over).
    const stored = await t.deps.db.selectFrom('scores').selectAll().where('workspace_id', '=', ws).execute()
    expect(stored.some((r) => r.mql)).toBe(true)
    const previous = new Map(
      stored.map((r) => [r.contact_id, { mql: r.mql, mqlSince: r.mql_since?.toISOString() ?? null }]),
    )
    await markWorkspaceForRescore(t.deps.db, ws, 'manual')
    expect(await bulkRescore().rescoreDirty(ws)).toBe(n)
    await expectEngineScores(ws, previous)
    // Nothing visibly changed: no new history rows.
    expect(await count('score_history', ws)).toBe(n)
  })

  it('previews "before" from the stored scores exactly as rescoring with the published grid would', async () => {
    const ws = t.workspace.workspaceId
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

    const fromStored = await preview.preview(ws, candidate)
    // Marked contacts may have stale stored scores: the preview scores them with the published grid.
    await markWorkspaceForRescore(t.deps.db, ws, 'manual')
    const rescored = await preview.preview(ws, candidate)
    const { ms: _a, ...a } = fromStored
    const { ms: _b, ...b } = rescored
    expect(a).toEqual(b)
    expect(a.contacts).toBe(40)
    expect(a.changedScore).toBeGreaterThan(0)
    expect(a.movers.length).toBeGreaterThan(0)

    // And "before" really is the stored score: what sales see on the record today.
    await bulkRescore().rescoreDirty(ws)
    await sql`UPDATE scores SET total = total + 1000 WHERE workspace_id = ${ws}`.execute(t.deps.db)
    const shifted = await preview.preview(ws, candidate)
    expect(shifted.before!.averageScore).toBeCloseTo(a.before!.averageScore + 1000, 5)
    expect(shifted.after).toEqual(a.after)
    await sql`UPDATE scores SET total = total - 1000 WHERE workspace_id = ${ws}`.execute(t.deps.db)
  })

  it('resumes an interrupted rescore: every contact scored once, no history row twice', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Interrupted')
    const n = await seed(ws, 30)
    // The third page's scoring fails, as a crash would stop it: pages before it are committed, the rest not.
    let tasks = 0
    const failing: ScorePool = {
      size: 2,
      run: (task: ScoreTask) => {
        tasks += 1
        return tasks === 3 ? Promise.reject(new Error('worker lost')) : pool.run(task)
      },
      close: async () => {},
    } as ScorePool
    await expect(bulkRescore(() => failing).rescoreDirty(ws)).rejects.toThrow('worker lost')
    // Two pages are written at once, so the other lane may have committed a page or two more.
    const scoredBefore = await count('scores', ws)
    expect(scoredBefore).toBeGreaterThanOrEqual(7)
    expect(scoredBefore).toBeLessThan(n)
    expect(await countMarks(t.deps.db, ws)).toBe(n - scoredBefore)

    expect(await bulkRescore().rescoreDirty(ws)).toBe(n - scoredBefore)
    expect(await countMarks(t.deps.db, ws)).toBe(0)
    expect(await count('scores', ws)).toBe(n)
    const perContact = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM score_history WHERE workspace_id = ${ws} GROUP BY contact_id`.execute(
      t.deps.db,
    )
    expect(perContact.rows).toHaveLength(n)
    expect(perContact.rows.every((r) => r.n === 1)).toBe(true)
  })

  it('keeps the mark of a contact whose event arrived while its page was being scored', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Busy')
    await seed(ws, 5)
    const quiet = 'quiet@acme-software.example'
    await t.deps.ingestion.ingestContacts(ws, [{ contact: { email: quiet }, properties: {} }], 'api')
    let injected = false
    const racing = {
      size: 2,
      run: async (task: ScoreTask) => {
        // Stored (and the contact re-marked) after the page was read, before it is written.
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
      },
      close: async () => {},
    } as ScorePool
    // One page of 6: the quiet contact is in the page whose scoring races the event.
    await bulkRescore(() => racing).rescoreDirty(ws)
    expect(injected).toBe(true)
    expect(await countMarks(t.deps.db, ws)).toBe(0)
    const row = await t.deps.db
      .selectFrom('contacts')
      .innerJoin('scores', (j) =>
        j
          .onRef('scores.workspace_id', '=', 'contacts.workspace_id')
          .onRef('scores.contact_id', '=', 'contacts.id'),
      )
      .select(['scores.engagement', 'contacts.id'])
      .where('contacts.workspace_id', '=', ws)
      .where('contacts.email', '=', quiet)
      .executeTakeFirstOrThrow()
    // Scored with the late visit (+20), once: the page's stale score was not written for it.
    expect(row.engagement).toBe(20)
    const history = await t.deps.db
      .selectFrom('score_history')
      .select(['engagement'])
      .where('workspace_id', '=', ws)
      .where('contact_id', '=', row.id)
      .execute()
    expect(history).toEqual([{ engagement: 20 }])
  })

  it('ends a job whose time is up and queues its successor, before pg-boss would expire it', async () => {
    const { workspaceId: ws } = await t.createWorkspace('Long')
    const n = await seed(ws, 12)
    // The job ingestion queued for this workspace is gone (worked, say): only the successor counts.
    const queued = sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job
      WHERE name = 'rescore-dirty' AND singleton_key = ${ws} AND state = 'created'`
    await sql`DELETE FROM pgboss.job WHERE name = 'rescore-dirty' AND singleton_key = ${ws}`.execute(
      t.deps.db,
    )
    // A budget already spent: no page is started, the marks stay, the next job is queued.
    expect(await bulkRescore(() => pool, 0).rescoreDirty(ws)).toBe(0)
    expect(await countMarks(t.deps.db, ws)).toBe(n)
    expect((await queued.execute(t.deps.db)).rows[0]!.n).toBe(1)
    expect(await bulkRescore().rescoreDirty(ws)).toBe(n)
    expect(await countMarks(t.deps.db, ws)).toBe(0)
  })
})
