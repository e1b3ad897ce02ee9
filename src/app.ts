/**
 * buildApp(deps) → the Fastify instance. Tests call it and use `app.inject`; only server.ts listens.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import type { AppDeps } from './app-deps.js'
import type { Config } from './config.js'
import { installErrorHandler } from './http/error-handler.js'
import { installJsonBodyParser } from './http/json-body.js'
import { installLoadShedding } from './http/load-shedding.js'
import { registerRoutes } from './routes/index.js'

/** Larger than a full batch of 1,000 events, small enough that a 12 MB body is refused early. */
export const BODY_LIMIT_BYTES = 4 * 1024 * 1024

/**
 * TRUST_PROXY as Fastify takes it. Fastify 5.12 refuses a bare hop count (it fails closed, since a
 * client reaching the port directly could send the hops itself), so a count becomes a function
 * trusting that many hops from the socket. That is safe only where nothing but the proxy can reach
 * the port — Heroku's router in front of a dyno is the case this serves; elsewhere name the proxy's
 * addresses (README, Deployment).
 */
export function trustProxyOption(
  setting: Config['TRUST_PROXY'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting
  const hops = setting
  return hops === 0 ? false : (_address, hop) => hop < hops
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Off unless TRUST_PROXY says which proxy sets X-Forwarded-For: trusting it from anyone let a
    // client pick its own address, lifting the per-address rate limits and forging the logs.
    trustProxy: trustProxyOption(deps.config.TRUST_PROXY),
    // Errors Fastify raises before routing (a path whose percent-escapes do not decode): the same
    // answer shape as every other error, instead of Fastify's own `{ error, code, statusCode }`.
    frameworkErrors: (error, request, reply) => {
      const bad = error.code === 'FST_ERR_BAD_URL'
      ;(reply as FastifyReply).status(bad ? 400 : (error.statusCode ?? 500)).send({
        error: bad
          ? { code: 'bad_url', message: 'The URL path is not valid: a percent-escape in it does not decode' }
          : { code: 'internal', message: 'Something went wrong on our side; retry later.' },
        requestId: request.id,
      })
    },
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : crypto.randomUUID()
    },
  })
  installJsonBodyParser(app)
  installErrorHandler(app)
  // Before the routes: a shed request costs no body parsing, no authentication, no query.
  await installLoadShedding(app, deps)

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    deps.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) })
    deps.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000)
  })

  await registerRoutes(app, deps)
  return app
}
