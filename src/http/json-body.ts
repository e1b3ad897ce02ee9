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

export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string
    request.rawBody = text
    if (text.trim() === '')
      return done(new BadRequest('The body is empty; send a JSON document', undefined, 'invalid_json'))
    try {
      done(null, JSON.parse(text))
    } catch (err) {
      done(new BadRequest(`The body is not valid JSON: ${(err as Error).message}`, undefined, 'invalid_json'))
    }
  })
}
