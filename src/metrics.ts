/**
 * Prometheus metrics (GET /metrics). One registry per app instance, so tests don't share counters.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

export function createMetrics(options: { queueDepth?: () => Promise<Record<string, number>> } = {}) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'leadgrid_process_' })
  const metrics = {
    registry,
    httpRequests: new Counter({
      name: 'leadgrid_http_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'leadgrid_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    eventsIngested: new Counter({
      name: 'leadgrid_events_ingested_total',
      help: 'Events stored, by source (duplicates excluded)',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    eventsDuplicate: new Counter({
      name: 'leadgrid_events_duplicate_total',
      help: 'Events received again and skipped, by source',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    contactsScored: new Counter({
      name: 'leadgrid_contacts_scored_total',
      help: 'Contact evaluations stored by the rescoring worker',
      registers: [registry],
    }),
    scoringBatchSeconds: new Histogram({
      name: 'leadgrid_scoring_batch_duration_seconds',
      help: 'Time to rescore one batch of dirty contacts (load, evaluate, store)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'leadgrid_queue_depth',
      help: 'Jobs waiting, by queue',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        if (!options.queueDepth) return
        try {
          for (const [queue, n] of Object.entries(await options.queueDepth())) this.set({ queue }, n)
        } catch {
          // A scrape during shutdown or a database blip must not fail the whole /metrics answer.
        }
      },
    }),
  }
  return metrics
}

export type Metrics = ReturnType<typeof createMetrics>
