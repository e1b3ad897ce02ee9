/**
 * POST /api/v1/contacts and POST /api/v1/events: batches of up to 1,000, validated item by item.
 * One bad item rejects the batch (400 naming every bad item) and nothing is stored, so a client
 * can fix and resend the same batch; a resent batch is deduplicated.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { BadRequest } from '../errors.js'
import {
  contactUpsertSchema,
  eventInputSchema,
  futureDateErrors,
  parseBatch,
} from '../events/ingestion-schemas.js'

const eventsBody = z.object({ events: z.unknown() }).strict()
const contactsBody = z.object({ contacts: z.unknown() }).strict()

function bodyOf<T>(schema: z.ZodType<T>, body: unknown, field: string): T {
  const parsed = schema.safeParse(body)
  if (!parsed.success)
    throw new BadRequest(`The body must be a JSON object {"${field}": [...]}`, undefined, 'invalid_request')
  return parsed.data
}

export function ingestionRoutes(deps: Pick<AppDeps, 'ingestion' | 'clock'>) {
  return async function register(app: FastifyInstance) {
    app.post('/events', async (request, reply) => {
      const { events } = bodyOf(eventsBody, request.body, 'events')
      const batch = parseBatch(eventInputSchema, events)
      if (!batch.ok)
        throw new BadRequest(describe(batch.errors, 'events'), { items: batch.errors }, 'invalid_items')
      const future = futureDateErrors(batch.items, deps.clock.now(), 'occurredAt', (e) => e.occurredAt)
      if (future.length > 0)
        throw new BadRequest(describe(future, 'events'), { items: future }, 'invalid_items')
      const result = await deps.ingestion.ingestEvents(request.workspaceId, batch.items, 'api')
      return reply.status(202).send(result)
    })

    app.post('/contacts', async (request, reply) => {
      const { contacts } = bodyOf(contactsBody, request.body, 'contacts')
      const batch = parseBatch(contactUpsertSchema, contacts)
      if (!batch.ok)
        throw new BadRequest(describe(batch.errors, 'contacts'), { items: batch.errors }, 'invalid_items')
      const future = futureDateErrors(batch.items, deps.clock.now(), 'createdAt', (c) => c.createdAt)
      if (future.length > 0)
        throw new BadRequest(describe(future, 'contacts'), { items: future }, 'invalid_items')
      const result = await deps.ingestion.ingestContacts(request.workspaceId, batch.items, 'api')
      return reply.status(200).send(result)
    })
  }
}

function describe(errors: { index: number | null; path: string; message: string }[], field: string): string {
  const first = errors
    .slice(0, 3)
    .map((e) =>
      e.index === null
        ? `${field}: ${e.message}`
        : `${field}[${e.index}]${e.path ? `.${e.path}` : ''}: ${e.message}`,
    )
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''
  return `Nothing was stored. ${first.join('; ')}${more}`
}
