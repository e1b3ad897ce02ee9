/**
 * Reading values out of a request the same way on every route: a zod schema whose first issue
 * becomes the 400's sentence, ISO instants, and a period of time with a default length. The public
 * API and the settings page's JSON both use these, so they refuse the same input the same way.
 */
import { z } from 'zod'
import { BadRequest } from '../errors.js'

const DAY_MS = 86_400_000
const MAX_PERIOD_MS = 5 * 366 * DAY_MS
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether `value` has the shape of a row id: anything else is simply not found, never a query. */
export const isUuid = (value: string): boolean => UUID.test(value)

/** An ISO instant with its offset, as a Date. */
export const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v))

/** The body (or query) as `schema` reads it; else a 400 naming the first problem and `shape`. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, shape: string): T {
  const parsed = schema.safeParse(value ?? {})
  if (!parsed.success) {
    const i = parsed.error.issues[0]!
    throw new BadRequest(
      `${i.path.join('.') || 'body'}: ${i.path.length ? i.message : `expected ${shape}`}`,
      undefined,
      'invalid_request',
    )
  }
  return parsed.data
}

/** What is wrong with a period (inverted, or longer than five years), or null. */
export function periodProblem(from: Date, to: Date): string | null {
  if (from >= to) return 'to: must be after from'
  if (to.getTime() - from.getTime() > MAX_PERIOD_MS) return 'to: a period covers at most 5 years'
  return null
}

/** A period from optional instants, defaulting to the `days` before now; 400 when inverted or too long. */
export function periodOf(now: Date, days: number, from?: Date, to?: Date): { from: Date; to: Date } {
  const end = to ?? new Date(now.getTime() + 1)
  const start = from ?? new Date(end.getTime() - days * DAY_MS)
  const problem = periodProblem(start, end)
  if (problem) throw new BadRequest(problem, undefined, 'invalid_request')
  return { from: start, to: end }
}
