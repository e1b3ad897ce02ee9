/**
 * Duplicated and out-of-order deliveries (issue 9, item 7), a property over the real ingestion
 * service and rescoring on the real database: whatever the order, the batching and the repeats of
 * the same events (with or without a producer's id — without one, the dedupe key comes from the
 * content), the stored events and every contact's final score equal those of one in-order delivery.
 * Small runs on purpose (each one is two workspaces of a few contacts): the engine's own order
 * properties are checked at length in test/unit/scoring/properties.test.ts.
 */
import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import type { EventInput } from '../../src/events/ingestion-schemas.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const NOW = Date.parse('2026-03-31T12:00:00Z')
const DAY = 86_400_000
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ clock: fixedClock(new Date(NOW)) })
})
afterAll(async () => {
  await t?.close()
})

const email = fc.constantFrom('ann@acme.io', 'bob@gmail.com', 'cyd@initech.com')
const at = fc.integer({ min: NOW - 100 * DAY, max: NOW - 1 }).map((ms) => new Date(ms).toISOString())
const event: fc.Arbitrary<Omit<EventInput, 'id'>> = fc.oneof(
  fc.record({
    contact: email.map((e) => ({ email: e })),
    type: fc.constant('page.viewed' as const),
    occurredAt: at,
    attributes: fc.record({ url: fc.constantFrom('https://x.io/pricing', 'https://x.io/blog/a') }),
  }),
  fc.record({
    contact: email.map((e) => ({ email: e })),
    type: fc.constant('asset.downloaded' as const),
    occurredAt: at,
    attributes: fc.record({
      assetId: fc.constantFrom('wp-1', 'wp-2', 'wp-3'),
      assetType: fc.constantFrom('whitepaper', 'ebook'),
    }),
  }),
  fc.record({
    contact: email.map((e) => ({ email: e })),
    type: fc.constantFrom('email.delivered' as const, 'email.opened' as const),
    occurredAt: at,
    attributes: fc.record({
      campaignId: fc.constantFrom('n1', 'n2', 'n3'),
      category: fc.constant('newsletter'),
    }),
  }),
)
/** Events with a producer's id, or without one (the dedupe key then comes from the content). */
const events = fc
  .array(fc.tuple(event, fc.boolean()), { minLength: 1, maxLength: 14 })
  .map((list) => list.map(([e, withId], i) => (withId ? { ...e, id: `ev-${i}` } : e) as EventInput))

/** A delivery: every event at least once, some again, in any order, cut into batches. */
const delivery = (list: EventInput[]) =>
  fc
    .tuple(
      fc.array(fc.nat({ max: list.length - 1 }), { maxLength: 8 }),
      fc.func(fc.integer()),
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }),
    )
    .map(([repeats, key, sizes]) => {
      const sent = [...list, ...repeats.map((i) => list[i]!)]
        .map((e, i) => ({ e, k: key(i) }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.e)
      const batches: EventInput[][] = []
      for (let i = 0, b = 0; i < sent.length; b++) {
        const size = sizes[b % sizes.length]!
        batches.push(sent.slice(i, i + size))
        i += size
      }
      return batches
    })

async function finalState(workspaceId: string) {
  const scores = await sql<{
    email: string
    total: number
    fit: number
    engagement: number
    reasons: string
  }>`
    SELECT c.email, s.total, s.fit, s.engagement, s.reasons
    FROM scores s JOIN contacts c ON c.workspace_id = s.workspace_id AND c.id = s.contact_id
    WHERE s.workspace_id = ${workspaceId} ORDER BY c.email`.execute(t.deps.db)
  const stored = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM events WHERE workspace_id = ${workspaceId}`.execute(t.deps.db)
  return { scores: scores.rows, events: stored.rows[0]!.n }
}

it('duplicated, reordered and re-batched deliveries give the scores of one in-order delivery', async () => {
  let n = 0
  await fc.assert(
    fc.asyncProperty(
      events.chain((list) => fc.tuple(fc.constant(list), delivery(list))),
      async ([list, batches]) => {
        n++
        const inOrder = await t.createWorkspace(`in order ${n}`)
        const shuffled = await t.createWorkspace(`shuffled ${n}`)
        const sorted = [...list].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt))
        await t.deps.ingestion.ingestEvents(inOrder.workspaceId, sorted, 'api')
        for (const batch of batches) await t.deps.ingestion.ingestEvents(shuffled.workspaceId, batch, 'api')
        await t.rescoreNow(inOrder.workspaceId)
        await t.rescoreNow(shuffled.workspaceId)
        expect(await finalState(shuffled.workspaceId)).toEqual(await finalState(inOrder.workspaceId))
      },
    ),
    { numRuns: 12 },
  )
}, 120_000)
