/**
 * The contacts sales decided on in a period, read for scoring "as of the decision": each contact
 * with an outcome in [from, to), its first outcome (the decision), its profile and its events from
 * `lookbackDays` before the earliest decision of its chunk. Backtests and suggestions both walk
 * this; they differ only in what they do with each contact.
 */
import type { Db } from '../db/database.js'
import { loadEventsForContacts } from '../db/event-repository.js'
import { type ContactOutcomes, outcomesByContact } from '../db/outcome-repository.js'
import { type ContactRecord, loadContactsToScore } from '../db/scoring-contact-repository.js'
import type { LeadEvent } from '../domain/lead-event.js'

const CHUNK = 500
const DAY_MS = 86_400_000

/** A decided contact: the contact as scored, its decision, its events (from the chunk's lookback on). */
export interface DecidedContact extends ContactRecord {
  decision: ContactOutcomes
  events: LeadEvent[]
}

/**
 * Calls `each` with the first `limit` decided contacts of the period (those deleted since are
 * skipped), 500 at a time, one round trip each; `truncated` says the period held more than `limit`.
 */
export async function forEachDecidedChunk(
  db: Db,
  workspaceId: string,
  period: { from: Date; to: Date },
  options: { limit: number; lookbackDays: number },
  each: (chunk: DecidedContact[]) => void,
): Promise<{ truncated: boolean }> {
  const found = await outcomesByContact(db, workspaceId, period.from, period.to, options.limit + 1)
  const decided = found.slice(0, options.limit)
  for (let i = 0; i < decided.length; i += CHUNK) {
    const chunk = decided.slice(i, i + CHUNK)
    const ids = chunk.map((c) => c.contactId)
    const earliest = Math.min(...chunk.map((c) => c.decidedAt.getTime()))
    const [contacts, events] = await Promise.all([
      loadContactsToScore(db, workspaceId, ids),
      loadEventsForContacts(db, workspaceId, ids, new Date(earliest - options.lookbackDays * DAY_MS)),
    ])
    const byId = new Map(contacts.map((c) => [c.id, c]))
    each(
      chunk.flatMap((decision) => {
        const contact = byId.get(decision.contactId)
        return contact ? [{ ...contact, decision, events: events.get(decision.contactId) ?? [] }] : []
      }),
    )
  }
  return { truncated: found.length > options.limit }
}
