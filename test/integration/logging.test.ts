import { Writable } from 'node:stream'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createLogger } from '../../src/logger.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
const lines: string[] = []

const requestLog: string[] = []

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      requestLog.push(String(chunk))
      done()
    },
  })
  t = await startTestApp({ logger: createLogger('info', sink) })
})
afterAll(async () => {
  await t?.close()
})

it('never writes an API key or a token to the log, and tags request lines with the request id', async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  const logger = createLogger('trace', sink)
  logger.info({ req: { headers: { authorization: `Bearer ${t.workspace.apiKey}` } } }, 'request')
  logger.info({ connection: { access_token: 'at-secret-123', refresh_token: 'rt-secret-456' } }, 'refreshed')
  const all = lines.join('')
  expect(all).not.toContain(t.workspace.apiKey)
  expect(all).not.toContain('at-secret-123')
  expect(all).not.toContain('rt-secret-456')
  expect(all).toContain('[redacted]')
})

it('returns the request id it was given, or a new one', async () => {
  const given = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123' } })
  expect(given.headers['x-request-id']).toBe('abc-123')
  const fresh = await t.app.inject({ method: 'GET', url: '/nope' })
  expect(fresh.statusCode).toBe(404)
  expect(fresh.json().requestId).toBe(fresh.headers['x-request-id'])
})

it('serves readiness and Prometheus metrics', async () => {
  expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ready' })
  const metrics = await t.app.inject({ method: 'GET', url: '/metrics' })
  expect(metrics.statusCode).toBe(200)
  expect(metrics.body).toContain('leadgrid_http_requests_total')
  expect(metrics.body).toContain('leadgrid_queue_depth')
})

it('logs request paths without their query string (OAuth codes, GET form fields)', async () => {
  // Regression: the incoming-request line carried /oauth/hubspot/callback?code=…&state=….
  const res = await t.app.inject({
    method: 'GET',
    url: '/oauth/hubspot/callback?code=SECRETCODE123&state=STATEVALUE',
  })
  expect(res.statusCode).toBeLessThan(500)
  const all = requestLog.join('')
  expect(all).toContain('/oauth/hubspot/callback')
  expect(all).not.toContain('SECRETCODE123')
  expect(all).not.toContain('STATEVALUE')
  expect(all).toContain(`"reqId":"${res.headers['x-request-id']}"`)
})
