/** Liveness, readiness and Prometheus metrics. */
import type { FastifyInstance } from 'fastify'
import type { AppDeps } from '../app-deps.js'

export function healthRoutes(deps: Pick<AppDeps, 'readiness' | 'metrics'>) {
  return async function register(app: FastifyInstance) {
    app.get('/healthz', async () => ({ status: 'ok' }))

    app.get('/readyz', async (_request, reply) => {
      const state = await deps.readiness()
      return reply
        .status(state.ok ? 200 : 503)
        .send({ status: state.ok ? 'ready' : 'not_ready', detail: state.detail })
    })

    app.get('/metrics', async (_request, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType)
      return deps.metrics.registry.metrics()
    })
  }
}
