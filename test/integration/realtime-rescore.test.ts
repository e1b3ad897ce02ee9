import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ workers: true })
})
afterAll(async () => {
  await t?.close()
})

it('the worker rescores a contact within seconds of its events being acknowledged', async () => {
  const auth = { authorization: `Bearer ${t.workspace.apiKey}` }
  const now = Date.now()
  const email = 'realtime@example-corp.com'
  const events = [0, 1].map((d) => ({
    contact: { email },
    type: 'page.viewed',
    occurredAt: new Date(now - d * 86_400_000).toISOString(),
    attributes: { url: `https://example-corp.com/pricing?d=${d}` },
  }))
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/events',
    headers: auth,
    payload: { events },
  })
  expect(res.statusCode).toBe(202)

  let body: { status: string; score: { engagement: number } | null } | undefined
  for (let i = 0; i < 100; i++) {
    const r = await t.app.inject({ method: 'GET', url: `/api/v1/contacts/${email}/score`, headers: auth })
    body = r.json()
    if (body?.status === 'scored') break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  expect(body?.status).toBe('scored')
  // Two pricing days (+40); the personal-email and other fit rules do not apply to this domain.
  expect(body?.score?.engagement).toBe(40)
})
