/**
 * Generated contacts (the benchmarks' generator) ingested through the real ingestion path: their
 * profiles as a contact upsert, then their events. Returns how many were seeded.
 */
import { benchContacts } from '../../src/bench/bench-contacts.js'
import type { TestApp } from './test-app.js'

export async function seedGeneratedContacts(
  t: TestApp,
  workspaceId: string,
  options: { count: number; eventsPerContact: number; now: string },
): Promise<number> {
  const people = [
    ...benchContacts({
      count: options.count,
      eventsPerContact: options.eventsPerContact,
      now: Date.parse(options.now),
    }),
  ]
  await t.deps.ingestion.ingestContacts(
    workspaceId,
    people.map((p) => ({ contact: { email: p.email }, properties: p.profile as never })),
    'api',
  )
  await t.deps.ingestion.ingestEvents(
    workspaceId,
    people.flatMap((p) =>
      p.events.map((e) => ({
        id: e.dedupeKey,
        contact: { email: p.email },
        type: e.type,
        occurredAt: e.occurredAt,
        attributes: e.attributes,
      })),
    ) as never,
    'api',
  )
  return people.length
}
