/**
 * Prometheus metrics (GET /metrics). One registry per app instance, so tests don't share counters.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/**
 * How far the workers are behind, across every workspace: what the backlog gauges show. Read by
 * src/db/lag-repository.ts in one aggregate per table.
 */
export interface LagSnapshot {
  rescoreMarks: number
  oldestRescoreMark: Date | null
  outboxPending: number
  outboxParked: number
  oldestOutboxPending: Date | null
  deliveriesPending: number
  oldestDeliveryPending: Date | null
}

export interface MetricsOptions {
  queueDepth?: () => Promise<Record<string, number>>
  /** The workers' backlog across workspaces (src/db/lag-repository.ts). */
  lag?: () => Promise<LagSnapshot>
  /** The injected clock's now, for the ages of the oldest entries. */
  now?: () => Date
}

/** The backlog kinds on /metrics, and where each one's count and oldest entry are in a snapshot. */
const BACKLOGS = {
  rescore_marks: (s: LagSnapshot) => [s.rescoreMarks, s.oldestRescoreMark] as const,
  outbox_pending: (s: LagSnapshot) => [s.outboxPending, s.oldestOutboxPending] as const,
  outbox_parked: (s: LagSnapshot) => [s.outboxParked, null] as const,
  crm_deliveries_pending: (s: LagSnapshot) => [s.deliveriesPending, s.oldestDeliveryPending] as const,
}

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'leadgrid_process_' })
  return {
    registry,
    ...httpMetrics(registry),
    ...ingestionMetrics(registry),
    ...scoringMetrics(registry),
    ...workerMetrics(registry, options),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

function httpMetrics(registry: Registry) {
  return {
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
    shedRequests: new Counter({
      name: 'leadgrid_http_shed_total',
      help: 'Requests answered 503 by the load shedding (under-pressure), by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  }
}

function ingestionMetrics(registry: Registry) {
  return {
    eventsIngested: new Counter({
      name: 'leadgrid_events_ingested_total',
      help: 'Events stored, by source (duplicates excluded)',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    ingestBatches: new Counter({
      name: 'leadgrid_ingest_batches_total',
      help: 'Event batches by how they were stored: one autocommitted statement, or the transactional path (contacts, merges, profile changes, a stale plan)',
      labelNames: ['path'] as const,
      registers: [registry],
    }),
    eventsDuplicate: new Counter({
      name: 'leadgrid_events_duplicate_total',
      help: 'Events received again and skipped, by source',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
  }
}

function scoringMetrics(registry: Registry) {
  return {
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
  }
}

/** The gauges read at scrape time: the job queue's depth and the workers' backlog. */
function workerMetrics(registry: Registry, options: MetricsOptions) {
  // Both backlog gauges read one snapshot per scrape, not one query each.
  let snapshot: { at: number; value: Promise<LagSnapshot> } | undefined
  const lag = (): Promise<LagSnapshot> | undefined => {
    if (!options.lag) return undefined
    const t = performance.now()
    if (!snapshot || t - snapshot.at > 1_000) snapshot = { at: t, value: options.lag() }
    return snapshot.value
  }
  return {
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
    backlog: new Gauge({
      name: 'leadgrid_backlog',
      help: 'Work waiting for the workers, by kind: contacts marked for rescoring, outbox rows pending or parked, CRM deliveries stored but not processed',
      labelNames: ['kind'] as const,
      registers: [registry],
      async collect() {
        try {
          const s = await lag()
          if (!s) return
          for (const [kind, pick] of Object.entries(BACKLOGS)) this.set({ kind }, pick(s)[0])
        } catch {
          // As for the queue depth: a failed scrape of one gauge must not fail /metrics.
        }
      },
    }),
    backlogOldestAge: new Gauge({
      name: 'leadgrid_backlog_oldest_age_seconds',
      help: 'How long the oldest entry of each backlog has waited (0 when empty): the workers’ lag',
      labelNames: ['kind'] as const,
      registers: [registry],
      async collect() {
        try {
          const s = await lag()
          if (!s) return
          const now = (options.now?.() ?? new Date()).getTime()
          for (const [kind, pick] of Object.entries(BACKLOGS)) {
            const oldest = pick(s)[1]
            if (kind === 'outbox_parked') continue
            this.set({ kind }, oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0)
          }
        } catch {
          // As above.
        }
      },
    }),
  }
}
