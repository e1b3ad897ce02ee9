/**
 * Website tracking: GET /t.js serves the snippet, POST /t/collect receives its events.
 *
 * /t/collect is called from customers' pages on any origin with a public write key, so: CORS open
 * to every origin without credentials; a text/plain body holding JSON is accepted (what
 * navigator.sendBeacon and a string fetch body send: a "simple" request, no preflight round trip);
 * a small body limit; a rate limit per key and IP address on this route alone; a key that opens no
 * workspace is a 401 and nothing is stored. See src/tracking/README.md.
 */
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AppDeps } from '../app-deps.js'
import { AppError, BadRequest, Unauthorized } from '../errors.js'
import { jsonTextParser } from '../http/json-body.js'
import { parseCollectBody } from '../tracking/collect-schema.js'
import { etagMatches, loadSnippet, pickEncoding } from '../tracking/snippet-asset.js'
import { authenticatePublicKey } from '../workspaces/workspace-service.js'

export const COLLECT_BODY_LIMIT_BYTES = 64 * 1024
export const COLLECT_RATE_LIMIT = { max: 120, timeWindow: 60_000 } as const
/** Browsers revalidate within the hour (304 on a matching ETag), so a new snippet spreads in ~1 h. */
const SNIPPET_CACHE_CONTROL = 'public, max-age=3600, stale-while-revalidate=86400'

export function trackingRoutes(
  deps: Pick<AppDeps, 'db' | 'tracking' | 'metrics' | 'config' | 'clock' | 'authFailures'>,
) {
  const { tracking, authFailures } = deps

  return async function register(app: FastifyInstance) {
    const snippet = await loadSnippet()

    app.get('/t.js', async (request, reply) => {
      reply
        .header('cache-control', SNIPPET_CACHE_CONTROL)
        .header('etag', snippet.etag)
        .header('vary', 'accept-encoding')
        // Loadable from pages that isolate themselves (COEP) and by <script crossorigin>.
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('access-control-allow-origin', '*')
        .header('x-content-type-options', 'nosniff')
      if (etagMatches(request.headers['if-none-match'], snippet.etag)) return reply.status(304).send()
      const encoding = pickEncoding(request.headers['accept-encoding'])
      if (encoding !== 'identity') reply.header('content-encoding', encoding)
      return reply
        .type('application/javascript; charset=utf-8')
        .send(encoding === 'br' ? snippet.brotli : encoding === 'gzip' ? snippet.gzip : snippet.identity)
    })

    await app.register(
      async (t) => {
        await t.register(cors, { origin: '*', methods: ['POST'], credentials: false, maxAge: 86_400 })
        await t.register(rateLimit, {
          global: false,
          // After parsing: the key is in the body. The body limit keeps that parse cheap.
          hook: 'preValidation',
          keyGenerator: (request) => `${publicKeyOf(request)}|${request.ip}`,
          errorResponseBuilder: (_request, context) =>
            new AppError(
              429,
              'rate_limited',
              `Too many requests for this key from this address; retry in ${context.after}`,
            ),
        })
        t.removeContentTypeParser('text/plain')
        // The same parser as application/json: depth limit, NUL and surrogate cleaning.
        t.addContentTypeParser('text/plain', { parseAs: 'string' }, jsonTextParser)

        t.post(
          '/collect',
          {
            bodyLimit: COLLECT_BODY_LIMIT_BYTES,
            config: {
              rateLimit: COLLECT_RATE_LIMIT,
              bodyContentTypes: ['text/plain', 'application/json'],
            },
          },
          async (request, reply) => {
            const parsed = parseCollectBody(request.body, deps.clock.now())
            if (!parsed.ok) {
              const shown = parsed.issues
                .slice(0, 3)
                .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
              const more = parsed.issues.length > 3 ? ` (and ${parsed.issues.length - 3} more)` : ''
              throw new BadRequest(
                `Nothing was stored. ${shown.join('; ')}${more}`,
                { issues: parsed.issues },
                'invalid_request',
              )
            }
            // The per key+address limit above does not hold a client rotating keys; this does.
            // Tracking keys are public (on customers' pages), but trying them costs a lookup each.
            authFailures.check('tracking-key', request.ip, 'tracking keys')
            const workspaceId = await authenticatePublicKey(deps.db, parsed.key)
            if (!workspaceId) {
              authFailures.fail('tracking-key', request.ip)
              throw new Unauthorized(
                'This tracking key opens no workspace; nothing was stored',
                'invalid_key',
              )
            }
            const result = await tracking.collect(workspaceId, parsed.batch)
            return reply.status(202).send(result)
          },
        )
      },
      { prefix: '/t' },
    )
  }
}

function publicKeyOf(request: FastifyRequest): string {
  const body = request.body as { key?: unknown } | undefined
  return typeof body?.key === 'string' ? body.key.slice(0, 200) : ''
}
