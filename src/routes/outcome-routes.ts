/**
 * POST /api/v1/outcomes (a batch of up to 1,000, validated like events: one bad item rejects the
 * batch and nothing is stored) and GET /api/v1/outcomes (a period, newest first, paginated).
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AppDeps } from '../app-deps.js'
import { listOutcomes } from '../db/outcome-repository.js'
import { BadRequest } from '../errors.js'
import { parseBatch } from '../events/ingestion-schemas.js'
import { outcomeInputSchema } from '../outcomes/outcome-schemas.js'

const body = z.object({ outcomes: z.unknown() }).strict()
const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v))
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const query = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    contactId: z.string().regex(UUID, 'expected a contact id (uuid)').optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(300).optional(),
  })
  .strict()

/** The cursor is the last item's (occurredAt, id), opaque to clients. */
const encodeCursor = (o: { occurredAt: string; id: string }) =>
  Buffer.from(JSON.stringify([o.occurredAt, o.id])).toString('base64url')

function decodeCursor(cursor: string): { occurredAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    const occurredAt = new Date(at)
    if (typeof id === 'string' && !Number.isNaN(occurredAt.getTime())) return { occurredAt, id }
  } catch (err) {
    void err // any malformed cursor is the same 400 below
  }
  throw new BadRequest('cursor: not a cursor returned by this API', undefined, 'invalid_request')
}

export function outcomeRoutes(deps: Pick<AppDeps, 'db' | 'outcomes'>) {
  const { outcomes } = deps
  return async function register(app: FastifyInstance) {
    app.post('/outcomes', async (request, reply) => {
      const parsed = body.safeParse(request.body)
      if (!parsed.success)
        throw new BadRequest(
          'The body must be a JSON object {"outcomes": [...]}',
          undefined,
          'invalid_request',
        )
      const batch = parseBatch(outcomeInputSchema, parsed.data.outcomes)
      if (!batch.ok) {
        const first = batch.errors
          .slice(0, 3)
          .map((e) =>
            e.index === null
              ? `outcomes: ${e.message}`
              : `outcomes[${e.index}]${e.path ? `.${e.path}` : ''}: ${e.message}`,
          )
        const more = batch.errors.length > 3 ? ` (and ${batch.errors.length - 3} more)` : ''
        throw new BadRequest(
          `Nothing was stored. ${first.join('; ')}${more}`,
          { items: batch.errors },
          'invalid_items',
        )
      }
      const result = await outcomes.record(request.workspaceId, batch.items, 'api')
      return reply.status(202).send(result)
    })

    app.get('/outcomes', async (request) => {
      const q = query.safeParse(request.query)
      if (!q.success) {
        const i = q.error.issues[0]!
        throw new BadRequest(`${i.path.join('.') || 'query'}: ${i.message}`, undefined, 'invalid_request')
      }
      const items = await listOutcomes(deps.db, request.workspaceId, {
        from: q.data.from,
        to: q.data.to,
        contactId: q.data.contactId,
        limit: q.data.limit,
        before: q.data.cursor ? decodeCursor(q.data.cursor) : undefined,
      })
      const last = items.at(-1)
      return {
        outcomes: items,
        nextCursor: items.length === q.data.limit && last ? encodeCursor(last) : null,
      }
    })
  }
}
