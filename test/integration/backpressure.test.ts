/**
 * Backpressure (issue 9, item 6): while the workers lag, the web role still acknowledges durable
 * events and /metrics shows how far behind they are; when the web process itself is overloaded,
 * requests are shed with 503 + Retry-After — but never /healthz or /metrics.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { until } from '../helpers/until.js'

const apps: TestApp[] = []
afterAll(async () => {
  for (const a of apps) await a.close()
})

function events(prefix: string, contacts: number) {
  return {
    events: Array.from({ length: contacts }, (_, i) => ({
      id: `${prefix}-${i}`,
      contact: { email: `${prefix}-${i}@backpressure.io` },
      type: 'page.viewed',
      occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
      attributes: { url: `https://backpressure.io/pricing/${i}` },
    })),
  }
}

/** One sample of a gauge from the Prometheus text, e.g. `leadgrid_backlog{kind="rescore_marks"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('while the workers lag', () => {
  it('acknowledges events and shows the backlog and its age on /metrics', async () => {
    // No workers started: scoring lags behind by construction.
    const t = await startTestApp()
    apps.push(t)
    const auth = { authorization: `Bearer ${t.workspace.apiKey}` }
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: events('lag', 5),
    })
    expect(res.statusCode).toBe(202)
    await new Promise((r) => setTimeout(r, 1_100))

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(sample(metrics, 'leadgrid_backlog{kind="rescore_marks"}')).toBe(5)
    expect(sample(metrics, 'leadgrid_backlog_oldest_age_seconds{kind="rescore_marks"}')).toBeGreaterThan(0.5)
    expect(sample(metrics, 'leadgrid_backlog{kind="outbox_pending"}')).toBe(0)
    expect(sample(metrics, 'leadgrid_backlog_oldest_age_seconds{kind="outbox_pending"}')).toBe(0)
    expect(sample(metrics, 'leadgrid_backlog{kind="crm_deliveries_pending"}')).toBe(0)

    // The worker catches up: the backlog is gone (a fresh scrape, past the snapshot's second).
    await t.rescoreNow()
    await new Promise((r) => setTimeout(r, 1_100))
    const after = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    expect(sample(after, 'leadgrid_backlog{kind="rescore_marks"}')).toBe(0)
    expect(sample(after, 'leadgrid_backlog_oldest_age_seconds{kind="rescore_marks"}')).toBe(0)
  })
})

describe('when the web process is under pressure', () => {
  it('sheds requests with 503 and Retry-After, stores nothing, and still answers /healthz and /metrics', async () => {
    // A heap ceiling every process is above: "under pressure" from the first sample (1 s) on.
    const t = await startTestApp({
      env: { PRESSURE_MAX_HEAP_USED_MB: '1', PRESSURE_RETRY_AFTER_SECONDS: '7' },
    })
    apps.push(t)
    const auth = { authorization: `Bearer ${t.workspace.apiKey}` }
    const shed = await until(
      'the first pressure sample',
      async () => {
        const r = await t.app.inject({
          method: 'POST',
          url: '/api/v1/events',
          headers: auth,
          payload: events('shed', 2),
        })
        return r.statusCode === 503 ? r : r.statusCode === 202 ? undefined : Promise.reject(new Error(r.body))
      },
      10_000,
    )
    expect(shed.headers['retry-after']).toBe('7')
    expect(shed.json().error.code).toBe('overloaded')

    const health = await t.app.inject({ method: 'GET', url: '/healthz' })
    expect(health.statusCode).toBe(200)
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.statusCode).toBe(200)
    expect(sample(metrics.body, 'leadgrid_http_shed_total{reason="heapUsedBytes"}')).toBeGreaterThanOrEqual(1)

    // A shed request stored nothing.
    const late = await t.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: auth,
      payload: events('late', 2),
    })
    expect(late.statusCode).toBe(503)
    const stored = await t.deps.db
      .selectFrom('events')
      .select('dedupe_key')
      .where('workspace_id', '=', t.workspace.workspaceId)
      .where('dedupe_key', 'like', 'id:late-%')
      .execute()
    expect(stored).toEqual([])
  })
})
