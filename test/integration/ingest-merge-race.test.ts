/**
 * An event stored for a contact at the moment another request merges that contact away must not
 * vanish with it. The merge moves the events it can see and then deletes the absorbed contact,
 * whose ON DELETE CASCADE would take any event committed in between — an acknowledged event lost.
 * Many visitors identify (a merge each) while their anonymous page views keep arriving; every
 * event acknowledged as stored must be there at the end, on the surviving contact.
 * Meaningful on the PostgreSQL server (real concurrency); embedded PGlite runs it one at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventInput } from '../../src/events/ingestion-schemas.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

const visitors = 40
const viewsPerVisitor = 12
const recent = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()

function view(visitor: number, n: number, contact: EventInput['contact']): EventInput {
  return {
    id: `v${visitor}-view-${n}`,
    contact,
    type: 'page.viewed',
    occurredAt: recent(30 - n),
    attributes: { url: `https://acme.example/page-${n}` },
  }
}

describe('events racing a merge of their contact', () => {
  // 480 ingests, many of them contending: minutes on a busy machine, not the default 30 s.
  it('every acknowledged event survives, on the merged contact', { timeout: 180_000 }, async () => {
    const ws = await t.createWorkspace('merge race')
    const ingest = (events: EventInput[]) => t.deps.ingestion.ingestEvents(ws.workspaceId, events, 'api')
    // Each visitor: an anonymous contact with one view, and — seen later, so it is the one
    // absorbed — a known person with a CRM id and one view.
    for (let v = 0; v < visitors; v++) {
      await ingest([view(v, 0, { anonymousId: `anon-${v}` })])
      await ingest([view(v, 1, { email: `person-${v}@acme.example`, hubspotId: `${1000 + v}` })])
    }
    let acknowledged = 2 * visitors
    await Promise.all(
      Array.from({ length: visitors }, async (_, v) => {
        const identify = ingest([view(v, 2, { anonymousId: `anon-${v}`, email: `person-${v}@acme.example` })])
        // Through the CRM id, an identity the merging request does not name (and so does not lock).
        const views = Array.from({ length: viewsPerVisitor - 3 }, (_, k) =>
          ingest([view(v, 3 + k, { hubspotId: `${1000 + v}` })]),
        )
        for (const r of await Promise.all([identify, ...views])) acknowledged += r.accepted
      }),
    )
    expect(acknowledged).toBe(visitors * viewsPerVisitor)
    const stored = await t.deps.db
      .selectFrom('events')
      .innerJoin('contact_identities as i', (j) =>
        j.onRef('i.workspace_id', '=', 'events.workspace_id').onRef('i.contact_id', '=', 'events.contact_id'),
      )
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('events.workspace_id', '=', ws.workspaceId)
      .where('i.kind', '=', 'email')
      .executeTakeFirstOrThrow()
    expect(Number(stored.n)).toBe(visitors * viewsPerVisitor)
    const contacts = await t.deps.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('workspace_id', '=', ws.workspaceId)
      .executeTakeFirstOrThrow()
    expect(Number(contacts.n)).toBe(visitors)
  })
})
