/**
 * Builders shared by the scoring unit tests: a grid around a few rules, events at ages relative
 * to a fixed `now`, and a one-call scorer. No I/O.
 */
import type { EventType, LeadEvent } from '../../../src/domain/lead-event.js'
import {
  compileGrid,
  evaluate,
  type Grid,
  type GridInput,
  gridSchema,
  prepareEvents,
  type ScoreResult,
} from '../../../src/scoring/index.js'

export const DAY = 86_400_000
export const HOUR = 3_600_000
/** SPEC §5's worked-example instant. */
export const NOW = Date.parse('2026-03-31T12:00:00Z')

export const iso = (ms: number) => new Date(ms).toISOString()
/** An ISO instant `ms` before NOW. */
export const ago = (ms: number) => iso(NOW - ms)

export function event(
  type: EventType,
  occurredAt: string,
  attributes: LeadEvent['attributes'] = {},
): LeadEvent {
  return { type, occurredAt, attributes }
}

export const pageView = (occurredAt: string, url = '/pricing') => event('page.viewed', occurredAt, { url })

/** A grid with defaults and the given rules (validated: a bad rule fails the test loudly). */
export function gridWith(rules: unknown[], extra: Partial<Record<keyof GridInput, unknown>> = {}): Grid {
  return gridSchema.parse({ name: 'Test grid', rules, ...extra })
}

export interface ScoreOptions {
  profile?: Record<string, string | number | boolean | null>
  events?: LeadEvent[]
  createdAt?: number
  previous?: { mql: boolean; mqlSince?: string | null }
  now?: number
}

export function score(grid: Grid, options: ScoreOptions = {}): ScoreResult {
  return evaluate(
    compileGrid(grid),
    {
      profile: options.profile ?? {},
      createdAt: options.createdAt ?? NOW - DAY,
      events: prepareEvents(options.events ?? []),
      previous: options.previous,
    },
    options.now ?? NOW,
  )
}

/** The contribution of one rule, or undefined when it did not fire. */
export function contribution(result: ScoreResult, ruleId: string) {
  return result.contributions.find((c) => c.ruleId === ruleId)
}

/** A single fit rule worth 10 points testing `when`; returns whether it fired for `profile`. */
export function fitMatches(
  when: unknown,
  profile: Record<string, string | number | boolean | null>,
): boolean {
  const grid = gridWith([{ id: 'r', label: 'R', kind: 'fit', points: 10, when }])
  return score(grid, { profile }).fit === 10
}

/** A single engagement rule (10 points per occurrence) on `events`; returns its count (0 when not fired). */
export function eventMatches(events: unknown, list: LeadEvent[]): number {
  const grid = gridWith([{ id: 'r', label: 'R', kind: 'engagement', points: 10, events }])
  return contribution(score(grid, { events: list }), 'r')?.count ?? 0
}
