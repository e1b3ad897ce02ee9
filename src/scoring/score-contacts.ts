/**
 * Scoring a list of contacts with one compiled grid: what the small rescore path, the challenger's
 * shadow, a backtest and a simulation all do with the contacts they read. The engine itself scores
 * one contact (evaluate.ts); this is the loop around it, in one place so the four read a contact
 * the same way (profile, first-seen time, its events prepared, its MQL status before).
 */
import type { LeadEvent } from '../domain/lead-event.js'
import type { CompiledGrid } from './compile.js'
import { evaluate } from './evaluate.js'
import { prepareEvents } from './prepare.js'
import type { EvaluateInput, PreviousStatus, ScoreResult } from './types.js'

/** A contact as the services read it for scoring. */
export interface ContactToScore {
  id: string
  profile: EvaluateInput['profile']
  firstSeenAt: Date
}

export interface ScoringContext<C extends ContactToScore> {
  /** The contact's events in the grid's lookback, in any order. */
  events: (contact: C) => readonly LeadEvent[]
  /** Its MQL status before this score (hysteresis); none: scored as a new contact. */
  previous?: (contact: C) => PreviousStatus | null | undefined
  /** When it is scored (epoch ms): one instant for all, or each contact's own (a decision's). */
  at: number | ((contact: C) => number)
}

/** The score of each contact, in the order given. */
export function scoreContacts<C extends ContactToScore>(
  compiled: CompiledGrid,
  contacts: readonly C[],
  context: ScoringContext<C>,
): ScoreResult[] {
  const { events, previous, at } = context
  return contacts.map((contact) =>
    evaluate(
      compiled,
      {
        profile: contact.profile,
        createdAt: contact.firstSeenAt.getTime(),
        events: prepareEvents(events(contact)),
        previous: previous?.(contact),
      },
      typeof at === 'number' ? at : at(contact),
    ),
  )
}
