/**
 * The benchmarks' contacts: the engine benchmark's realistic generator (seeded, so every run loads
 * the same people and events), moved from its fixed date to "now" so the events fall inside the
 * grid's lookback window for the service, which scores with the real clock.
 */
import type { LeadEvent } from '../domain/lead-event.js'
import { BENCH_NOW, generateContact } from '../scoring/bench-engine.js'
import { seededRandom } from '../util/seeded-random.js'

export interface BenchContact {
  index: number
  email: string
  /** The contact's id in the CRM stand-in (HubSpot ids are numeric strings). */
  hubspotId: string
  profile: Record<string, unknown>
  createdAt: number
  events: (LeadEvent & { dedupeKey: string })[]
}

export const DEFAULT_SEED = 20_261_130

/**
 * Contacts `from` … `from + count - 1` of the sequence for `seed`, generated lazily. The sequence
 * is one PRNG stream, so contact i is the same on every run only when generation starts at 0:
 * callers stream from the start in chunks (see `chunks`).
 */
export function* benchContacts(options: {
  count: number
  eventsPerContact?: number
  seed?: number
  now: number
}): Generator<BenchContact> {
  const rand = seededRandom(options.seed ?? DEFAULT_SEED)
  const shift = options.now - BENCH_NOW
  const perContact = options.eventsPerContact ?? 20
  for (let i = 0; i < options.count; i++) {
    const c = generateContact(rand, i, perContact)
    yield {
      index: i,
      email: String(c.profile.email),
      hubspotId: String(1_000_001 + i),
      profile: c.profile,
      createdAt: c.createdAt + shift,
      events: c.events.map((e, k) => ({
        ...e,
        occurredAt: new Date(Date.parse(e.occurredAt) + shift).toISOString(),
        dedupeKey: `bench:${i}:${k}`,
      })),
    }
  }
}

/** Groups an iterable into arrays of `size` (the last one shorter). */
export function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = []
  for (const item of items) {
    chunk.push(item)
    if (chunk.length >= size) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}
