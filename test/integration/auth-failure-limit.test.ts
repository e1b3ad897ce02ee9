/**
 * Issue 6, item 5: wrong keys are limited per client address (20 failures a minute → 429 with
 * Retry-After and a reason), while valid keys are neither counted nor held back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/clock.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'

const clock = fixedClock('2026-03-31T12:00:00.000Z')
let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ clock })
})
afterAll(async () => {
  await t?.close()
})

const scores = (key: string, remoteAddress: string) =>
  t.app.inject({
    method: 'GET',
    url: '/api/v1/grids',
    remoteAddress,
    headers: { authorization: `Bearer ${key}` },
  })

describe('failed API key checks', () => {
  it('answer 429 with Retry-After after 20 wrong keys a minute from one address', async () => {
    const attacker = '203.0.113.50'
    // Valid keys from the same address before: not counted.
    for (let i = 0; i < 30; i++) expect((await scores(t.workspace.apiKey, attacker)).statusCode).toBe(200)

    const statuses: number[] = []
    for (let i = 0; i < 60; i++) statuses.push((await scores(`lg_sk_guess${i}`, attacker)).statusCode)
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401))
    expect(statuses.slice(20)).toEqual(Array(40).fill(429))

    const limited = await scores('lg_sk_guess-last', attacker)
    expect(limited.statusCode).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.json()).toMatchObject({
      error: {
        code: 'too_many_failed_attempts',
        message: expect.stringMatching(/failed attempts.*retry in/),
      },
    })

    // Other addresses are not held back, valid or not.
    expect((await scores(t.workspace.apiKey, '198.51.100.9')).statusCode).toBe(200)
    expect((await scores('lg_sk_typo', '198.51.100.9')).statusCode).toBe(401)

    // A minute later the address may try again.
    clock.set(new Date(clock.now().getTime() + 61_000))
    expect((await scores('lg_sk_guess-again', attacker)).statusCode).toBe(401)
    expect((await scores(t.workspace.apiKey, attacker)).statusCode).toBe(200)
  })
})

describe('failed tracking key checks', () => {
  it('answer 429 after 20 unknown keys a minute from one address, whatever key is tried', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 25; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/t/collect',
        remoteAddress: '203.0.113.77',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        payload: JSON.stringify({
          key: `lg_pk_guess${i}`,
          visitorId: `v${String(i).padStart(8, '0')}${'0'.repeat(16)}`,
          events: [
            {
              id: `event${String(i).padStart(8, '0')}`,
              type: 'page.viewed',
              attributes: { url: 'https://x.example/' },
            },
          ],
        }),
      })
      statuses.push(res.statusCode)
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401))
    expect(statuses.slice(20)).toEqual(Array(5).fill(429))
  })
})
