/**
 * Issue 6, item 4: X-Forwarded-For is believed only when TRUST_PROXY names the proxy. By default a
 * client rotating the header is still one address — for the tracking rate limit and in the logs.
 */
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/logger.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const CLIENT = '198.51.100.23'

function logSink(lines: string[]) {
  return new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
}

/** 600 requests from one client, each claiming another address; the status codes counted. */
async function rotatedBurst(t: TestApp): Promise<Record<number, number>> {
  const counts: Record<number, number> = {}
  for (let i = 0; i < 600; i++) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/t/collect',
      remoteAddress: CLIENT,
      headers: {
        'content-type': 'text/plain;charset=UTF-8',
        'x-forwarded-for': `203.0.${i >> 8}.${i & 255}`,
      },
      // A cheap request (400, nothing stored) counts against the limit like any other.
      payload: JSON.stringify({ key: t.workspace.publicKey, visitorId: 'x' }),
    })
    counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1
  }
  return counts
}

const requestLines = (lines: string[]) =>
  lines
    .join('')
    .split('\n')
    .filter((l) => l.includes('"remoteAddress"'))
    .map((l) => JSON.parse(l) as { req: { remoteAddress: string } })

describe('by default (no TRUST_PROXY)', () => {
  let t: TestApp
  const lines: string[] = []
  beforeAll(async () => {
    t = await startTestApp({ logger: createLogger('info', logSink(lines)) })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('a rotated X-Forwarded-For does not lift the tracking limit, and the logs keep the real address', async () => {
    const counts = await rotatedBurst(t)
    expect(counts[429]).toBe(480)
    expect(counts[400]).toBe(120)
    const logged = requestLines(lines)
    expect(logged.length).toBeGreaterThanOrEqual(600)
    expect(new Set(logged.map((l) => l.req.remoteAddress))).toEqual(new Set([CLIENT]))
  })
})

describe('behind one trusted proxy (TRUST_PROXY=1)', () => {
  let t: TestApp
  const lines: string[] = []
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: '1' }, logger: createLogger('info', logSink(lines)) })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('honours the address the proxy appended', async () => {
    const counts = await rotatedBurst(t)
    expect(counts[429]).toBeUndefined()
    const logged = requestLines(lines).map((l) => l.req.remoteAddress)
    expect(logged).toContain('203.0.0.0')
    expect(logged).toContain('203.0.2.87')
    expect(logged).not.toContain(CLIENT)
  })
})
