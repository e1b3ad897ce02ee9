/**
 * Load shedding for the HTTP role, with @fastify/under-pressure: when the event
 * loop lags or the heap fills, new requests get 503 with Retry-After at once — a sender retries
 * later, instead of every request slowing down until they all time out. Events already acknowledged
 * are durable in PostgreSQL, so shedding loses nothing; the workers' backlog does not trigger it
 * (the web role keeps acknowledging while scoring or write-back lags; the backlog is a metric).
 *
 * Never shed: /healthz (a liveness probe answering 503 gets a busy process restarted, which makes
 * the overload worse) and /metrics (the operator needs the figures most exactly then).
 */

import { getHeapStatistics } from 'node:v8'
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import type { Metrics } from '../metrics.js'

const NEVER_SHED = new Set(['/healthz', '/metrics'])

type Settings = Pick<
  Config,
  'PRESSURE_MAX_EVENT_LOOP_DELAY_MS' | 'PRESSURE_MAX_HEAP_USED_MB' | 'PRESSURE_RETRY_AFTER_SECONDS'
>

/** The heap ceiling in bytes: the setting, else 90 % of V8's limit; 0 means no check. */
export function heapCeilingBytes(settings: Settings): number {
  if (settings.PRESSURE_MAX_HEAP_USED_MB !== undefined)
    return settings.PRESSURE_MAX_HEAP_USED_MB * 1024 * 1024
  return Math.floor(getHeapStatistics().heap_size_limit * 0.9)
}

export async function installLoadShedding(
  app: FastifyInstance,
  deps: { config: Settings; metrics: Pick<Metrics, 'shedRequests'> },
): Promise<void> {
  const { config, metrics } = deps
  const retryAfter = config.PRESSURE_RETRY_AFTER_SECONDS
  // Undefined lets the request through; a value is sent as the answer (the plugin's handlePressure
  // does `reply.send(result)`, though its type declares void) — our error shape, not the plugin's.
  const shed = (request: FastifyRequest, reply: FastifyReply, type: string) => {
    if (NEVER_SHED.has(request.routeOptions.url ?? '')) return undefined
    metrics.shedRequests.inc({ reason: type })
    reply.status(503).header('retry-after', String(retryAfter))
    return {
      error: {
        code: 'overloaded',
        message: `Leadgrid is overloaded (${type}); nothing was stored from this request, retry in ${retryAfter} s.`,
      },
      requestId: request.id,
    }
  }
  await app.register(underPressure, {
    // 0 is "off" for under-pressure as for us.
    maxEventLoopDelay: config.PRESSURE_MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: heapCeilingBytes(config),
    retryAfter,
    pressureHandler: shed as unknown as FastifyUnderPressureOptions['pressureHandler'],
  })
}
