/**
 * The one place errors become HTTP answers: `{ error: { code, message, details? }, requestId }`.
 * Our AppErrors and Fastify's own 4xx (bad JSON, body too large, wrong content type) keep their
 * message; anything else is a 500 whose message stays in the log, never in the answer.
 */
import type { FastifyError, FastifyInstance } from 'fastify'
import { ZodError } from 'zod'
import { AppError, Busy, CrmError, TooManyRequests } from '../errors.js'
import { unsupportedMediaType } from './json-body.js'

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | ZodError | Error, request, reply) => {
    if (err instanceof AppError) {
      if (err.statusCode === 401 || err.statusCode === 403) request.log.warn({ code: err.code }, err.message)
      if (err instanceof Busy) request.log.warn({ err }, 'gave up on a contended transaction')
      if (err instanceof Busy || err instanceof TooManyRequests) {
        reply.header('retry-after', String(err.retryAfterSeconds))
      }
      return reply.status(err.statusCode).send({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
        requestId: request.id,
      })
    }
    if (err instanceof ZodError) {
      return reply.status(400).send({
        error: {
          code: 'invalid_request',
          message: err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
          details: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        },
        requestId: request.id,
      })
    }
    if (err instanceof CrmError) {
      // The CRM failed us, not the caller: say which, and whether retrying makes sense.
      request.log.warn({ err }, 'CRM call failed')
      return reply.status(err.retryable ? 503 : 502).send({
        error: {
          code: 'crm_unavailable',
          message: `${err.provider === 'hubspot' ? 'HubSpot' : 'Pipedrive'} did not accept the request${err.retryable ? '; retry in a moment' : ''}.`,
        },
        requestId: request.id,
      })
    }
    if (isDatabaseUnavailable(err)) {
      // The connection to PostgreSQL was lost or refused (failover, restart, terminated backend): the
      // transaction did not commit (or, lost just after a commit, its events dedupe on the retry),
      // so the sender should simply send again; a retry soon will likely pass.
      request.log.error({ err }, 'database unavailable')
      return reply
        .status(503)
        .header('retry-after', '2')
        .send({
          error: {
            code: 'database_unavailable',
            message: 'The database is unreachable for a moment; send the same request again shortly.',
          },
          requestId: request.id,
        })
    }
    if (isPostgresDataError(err)) {
      // A value Postgres cannot take (out-of-range date, malformed id…) that validation let through:
      // still the caller's input, so a 400 — and logged, since validation should have caught it.
      request.log.warn({ err }, 'value refused by the database')
      return reply.status(400).send({
        error: {
          code: 'invalid_value',
          message: 'A value in the request cannot be stored; check ids, dates and text.',
        },
        requestId: request.id,
      })
    }
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500
    if (status >= 400 && status < 500) {
      const code = 'code' in err && err.code ? String(err.code) : 'bad_request'
      if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        const e = unsupportedMediaType(request)
        return reply
          .status(e.statusCode)
          .send({ error: { code: e.code, message: e.message }, requestId: request.id })
      }
      return reply
        .status(status)
        .send({ error: { code: fastifyCode(code), message: err.message }, requestId: request.id })
    }
    request.log.error({ err }, 'unhandled error')
    return reply.status(500).send({
      error: { code: 'internal', message: 'Something went wrong on our side; retry later.' },
      requestId: request.id,
    })
  })

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` },
      requestId: request.id,
    })
  })
}

/** SQLSTATEs of a lost or refused server: class 08, admin/crash shutdown, starting up, too many clients. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])
/** Socket failures on the way to the server. */
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])
/**
 * node-postgres raises these without any code when a connection dies under a query or a pooled client
 * is used after its connection died, so their text is the only thing to go by (pg 8, client.js).
 */
const PG_CONNECTION_LOST = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
])

function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    return (
      /^08[0-9A-Z]{3}$/.test(code) || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code)
    )
  }
  return err instanceof Error && err.constructor === Error && PG_CONNECTION_LOST.has(err.message)
}

/** Postgres SQLSTATE class 22, "data exception" (invalid text, uuid, date…). */
function isPostgresDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return (
    typeof code === 'string' &&
    /^22[0-9A-Z]{3}$/.test(code) &&
    (err as { constructor?: { name?: string } }).constructor?.name === 'DatabaseError'
  )
}

/** Fastify's codes (FST_ERR_CTP_BODY_TOO_LARGE) made readable (body_too_large). */
function fastifyCode(code: string): string {
  const known: Record<string, string> = {
    FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
    FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  }
  if (known[code]) return known[code]
  if (code.startsWith('FST_ERR_')) return 'bad_request'
  return code.toLowerCase()
}
