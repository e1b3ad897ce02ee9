/**
 * JSON bodies, parsed by us so the raw text stays on the request: webhook signatures are computed
 * over the exact bytes the sender sent (HubSpot v3, Pipedrive), never over a re-serialisation.
 */
import type { FastifyInstance } from 'fastify'
import { BadRequest } from '../errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string
  }
}

/** JSON escapes Postgres cannot store: NUL, and UTF-16 surrogate halves (maybe unpaired). */
const RISKY_ESCAPE = /\\u0000|\\u[dD][89a-fA-F]/
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

function cleanString(s: string): string {
  return s.replaceAll('\u0000', '').replace(UNPAIRED_SURROGATE, '\uFFFD')
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return cleanString(value)
  if (Array.isArray(value)) return value.map(clean)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanString(k), clean(v)]))
  }
  return value
}

/**
 * Parses a JSON body. Text Postgres cannot store (a NUL, half a surrogate pair) is removed or
 * replaced by U+FFFD rather than refused: a CRM webhook carrying one odd character must not lose
 * its whole batch, and no request may reach the database with it (it would be a 500).
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new BadRequest('The body is empty; send a JSON document', undefined, 'invalid_json')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new BadRequest(`The body is not valid JSON: ${(err as Error).message}`, undefined, 'invalid_json')
  }
  return RISKY_ESCAPE.test(text) ? clean(parsed) : parsed
}

export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string
    try {
      done(null, parseJsonBody(body as string))
    } catch (err) {
      done(err as Error)
    }
  })
}
