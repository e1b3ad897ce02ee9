/**
 * The offline command's line format: one contact per JSON line in, one result per line
 * out, scored by the very same engine as the service. The CLI owns files and printing; this file
 * only validates a line and scores it.
 */
import { z } from 'zod'
import { EVENT_TYPES, type LeadEvent, validateEventAttributes } from '../domain/lead-event.js'
import type { CompiledGrid } from './compile.js'
import { evaluate } from './evaluate.js'
import { prepareEvents } from './prepare.js'
import { parseInstant } from './time.js'
import type { Band, Contribution, Grade } from './types.js'

const instant = z
  .string()
  .max(64)
  .refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(parseInstant(s)), {
    message: 'expected an ISO-8601 instant such as 2026-03-31T12:00:00Z',
  })
const scalar = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()], {
  error: 'expected a string, number, boolean or null',
})

export const offlineInputLineSchema = z.object({
  id: z.union([z.string().min(1).max(256), z.number()], { error: 'expected a non-empty string or a number' }),
  /** First-seen time. */
  createdAt: instant,
  properties: z.record(z.string().max(200), scalar).default({}),
  events: z
    .array(
      z.object({
        type: z.enum(EVENT_TYPES),
        occurredAt: instant,
        attributes: z.record(z.string().max(64), scalar).default({}),
      }),
    )
    .max(100_000)
    .default([])
    .superRefine((events, ctx) => {
      // The same per-type attribute rules as the ingestion API, so offline and live agree.
      events.forEach((e, i) => {
        const checked = validateEventAttributes(e.type, e.attributes)
        if (!checked.ok) {
          for (const message of checked.issues) ctx.addIssue({ code: 'custom', path: [i], message })
        }
      })
    }),
  previous: z.object({ mql: z.boolean(), mqlSince: z.string().nullable().optional() }).nullable().optional(),
})

export type OfflineInputLine = z.output<typeof offlineInputLineSchema>

export interface OfflineOutputLine {
  id: string | number
  fit: number
  engagement: number
  /** The total. */
  score: number
  band: Band
  grade: Grade
  mql: boolean
  reasons: string
  contributions: Contribution[]
}

/** A line that cannot be scored; `message` names the field, `id` is the line's id when readable. */
export class OfflineLineError extends Error {
  override readonly name = 'OfflineLineError'
  constructor(
    message: string,
    readonly id: string | number | null,
  ) {
    super(message)
  }
}

/** Parses one line (a JSON string or an already parsed value). Throws OfflineLineError. */
export function parseOfflineLine(line: unknown): OfflineInputLine {
  let value = line
  if (typeof line === 'string') {
    try {
      value = JSON.parse(line)
    } catch (err) {
      throw new OfflineLineError(`invalid JSON: ${(err as Error).message}`, null)
    }
  }
  const result = offlineInputLineSchema.safeParse(value)
  if (result.success) return result.data
  const id = (value as { id?: unknown } | null)?.id
  const message = result.error.issues
    .slice(0, 5)
    .map((i) => {
      const path = i.path.join('.')
      // Attribute issues from the domain validator already start with "attributes.…".
      return i.message.startsWith('attributes.')
        ? `${path}.${i.message}`
        : `${path || '(line)'}: ${i.message}`
    })
    .join('; ')
  throw new OfflineLineError(message, typeof id === 'string' || typeof id === 'number' ? id : null)
}

export function scoreOfflineLine(compiled: CompiledGrid, line: unknown, now: number): OfflineOutputLine {
  const input = parseOfflineLine(line)
  const events: LeadEvent[] = input.events.map((e) => ({
    type: e.type,
    occurredAt: e.occurredAt,
    attributes: e.attributes,
  }))
  const result = evaluate(
    compiled,
    {
      profile: input.properties,
      createdAt: parseInstant(input.createdAt),
      events: prepareEvents(events),
      previous: input.previous ?? null,
    },
    now,
  )
  return {
    id: input.id,
    fit: result.fit,
    engagement: result.engagement,
    score: result.total,
    band: result.band,
    grade: result.grade,
    mql: result.mql,
    reasons: result.reasons,
    contributions: result.contributions,
  }
}
