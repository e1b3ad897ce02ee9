/**
 * Ingest throughput comes from the number of round trips a batch costs, not from the engine: a
 * batch of 200 events must cost the statements a batch of 2 does (issue 9, item 2). Counted on the
 * real database by a kysely plugin that sees every statement the ingestion service sends.
 */
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import type { EventInput } from '../../src/events/ingestion-schemas.js'
import { createIngestionService } from '../../src/events/ingestion-service.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const clock = fixedClock('2026-03-31T12:00:00.000Z')
let t: TestApp
let statements = 0
const counter: KyselyPlugin = {
  transformQuery(args: PluginTransformQueryArgs) {
    statements++
    return args.node
  },
  async transformResult(args: PluginTransformResultArgs) {
    return args.result
  },
}

beforeAll(async () => {
  t = await startTestApp({ clock })
})
afterAll(async () => {
  await t?.close()
})

function service() {
  return createIngestionService({
    db: t.deps.db.withPlugin(counter),
    queue: t.deps.queue,
    clock,
    logger: t.deps.logger,
  })
}

/** `people` contacts, two page views each; `run` keeps batches apart. */
function batch(run: string, people: number): EventInput[] {
  return Array.from({ length: people }, (_, p) =>
    [1, 2].map((n) => ({
      contact: { email: `person-${p}@batch.example`, externalId: `ext-${p}` },
      type: 'page.viewed' as const,
      occurredAt: `2026-03-30T10:00:0${n}Z`,
      attributes: { url: `https://acme.example/${run}/${n}` },
    })),
  ).flat()
}

async function statementsFor(events: EventInput[], workspaceId: string) {
  statements = 0
  const result = await service().ingestEvents(workspaceId, events, 'api')
  return { statements, ...result }
}

describe('statements per ingested batch', () => {
  it('does not grow with the batch: new contacts, known contacts, duplicates', async () => {
    const small = await t.createWorkspace('small batches')
    const large = await t.createWorkspace('large batches')
    // New people: contacts and identities created.
    const newSmall = await statementsFor(batch('a', 1), small.workspaceId)
    const newLarge = await statementsFor(batch('a', 100), large.workspaceId)
    expect(newLarge.accepted).toBe(200)
    expect(newLarge.statements).toBe(newSmall.statements)
    // The same people again, new events: found, nothing created.
    const knownSmall = await statementsFor(batch('b', 1), small.workspaceId)
    const knownLarge = await statementsFor(batch('b', 100), large.workspaceId)
    expect(knownLarge.accepted).toBe(200)
    expect(knownLarge.statements).toBe(knownSmall.statements)
    // A sender's retry: everything a duplicate, still the same cost.
    const retried = await statementsFor(batch('b', 100), large.workspaceId)
    expect(retried).toMatchObject({ accepted: 0, duplicates: 200 })
    expect(retried.statements).toBeLessThanOrEqual(knownSmall.statements)
    // Events of known or new people: the lookup, then one statement that writes contacts,
    // identities, events and marks together (single-statement-ingest.ts) — no transaction.
    expect(newLarge.statements).toBe(2)
    expect(knownLarge.statements).toBe(2)
    const contacts = await t.deps.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspace_id', '=', large.workspaceId)
      .executeTakeFirstOrThrow()
    expect(Number(contacts.n)).toBe(100)
  })
})

describe('the batches one statement cannot store', () => {
  it('a known person whose first-seen time moves back takes the transaction, and it moves', async () => {
    const ws = await t.createWorkspace('older event')
    await statementsFor(batch('a', 1), ws.workspaceId)
    const older = batch('old', 1).map((e) => ({
      ...e,
      occurredAt: e.occurredAt.replace('2026-03-30', '2026-01-02'),
    }))
    const result = await statementsFor(older, ws.workspaceId)
    expect(result).toMatchObject({ accepted: 2, duplicates: 0 })
    // The optimistic lookup, then the transactional path's own statements.
    expect(result.statements).toBeGreaterThan(2)
    const contact = await t.deps.db
      .selectFrom('contacts')
      .select('first_seen_at')
      .where('workspace_id', '=', ws.workspaceId)
      .executeTakeFirstOrThrow()
    expect(contact.first_seen_at).toEqual(new Date('2026-01-02T10:00:01Z'))
  })
})

describe('one batch, played in order', () => {
  it('a new visitor who identifies later in the same batch is one contact with both identities', async () => {
    const ws = await t.createWorkspace('visitor identifies')
    const result = await service().ingest(
      ws.workspaceId,
      {
        contacts: [{ contact: { anonymousId: 'v-1' }, properties: { jobtitle: 'CTO' } }],
        events: [
          {
            contact: { anonymousId: 'v-1' },
            type: 'page.viewed',
            occurredAt: '2026-03-20T10:00:00Z',
            attributes: { url: 'https://acme.example/pricing' },
          },
          {
            contact: { anonymousId: 'v-1', email: 'New.Person@Acme.example' },
            type: 'page.viewed',
            occurredAt: '2026-03-21T10:00:00Z',
            attributes: { url: 'https://acme.example/demo' },
          },
        ],
      },
      'api',
    )
    expect(result).toMatchObject({ accepted: 2, duplicates: 0, contacts: [{ created: true }] })
    const contacts = await t.deps.db
      .selectFrom('contacts')
      .select(['id', 'email', 'properties', 'first_seen_at'])
      .where('workspace_id', '=', ws.workspaceId)
      .execute()
    expect(contacts).toHaveLength(1)
    // The profile of the upsert, the email of the later event; first seen at the earliest event.
    expect(contacts[0]).toMatchObject({
      email: 'new.person@acme.example',
      properties: { jobtitle: 'CTO', email: 'new.person@acme.example' },
      first_seen_at: new Date('2026-03-20T10:00:00Z'),
    })
    const identities = await t.deps.db
      .selectFrom('contact_identities')
      .select(['kind', 'contact_id'])
      .where('workspace_id', '=', ws.workspaceId)
      .orderBy('kind')
      .execute()
    expect(identities).toEqual([
      { kind: 'anonymous', contact_id: contacts[0]!.id },
      { kind: 'email', contact_id: contacts[0]!.id },
    ])
  })
})
