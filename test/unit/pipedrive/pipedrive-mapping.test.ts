import { SignJWT } from 'jose'
import nock from 'nock'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  dealOutcome,
  eventsFromActivity,
  profileFromPerson,
  scoreToPersonFields,
} from '../../../src/crm/pipedrive/mapping.js'
import { createPipedriveOAuth } from '../../../src/crm/pipedrive/oauth.js'
import { PanelAuthError, scorePanel, verifyPanelToken } from '../../../src/crm/pipedrive/panel.js'
import {
  LEADGRID_PERSON_FIELDS,
  ownFieldCodes,
  planPersonFields,
} from '../../../src/crm/pipedrive/provisioning.js'
import {
  classifyDelivery,
  parsePipedriveWebhook,
  pipedriveDedupeKey,
  webhookInstant,
} from '../../../src/crm/pipedrive/webhooks.js'
import { pipedriveFixture } from '../../helpers/pipedrive-fixtures.js'

const fixture = (name: string) => pipedriveFixture<Record<string, any>>(name)

const delivery = (name: string) => {
  const parsed = parsePipedriveWebhook(fixture(name))
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues))
  return parsed.delivery
}

const SCORE_CODE = 'a4e5f7c1b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7'

describe('Pipedrive webhooks v2', () => {
  it('parses the documented person change and keys it by meta.id, the same on every attempt', () => {
    const w = delivery('webhook-person-change.json')
    expect(pipedriveDedupeKey(w)).toBe('pd:5380474:2f5b4a37-6b0e-4a8e-9d62-0c0b2d9b4e11')
    const retry = delivery('webhook-person-change.json')
    retry.meta.attempt = 2
    expect(pipedriveDedupeKey(retry)).toBe(pipedriveDedupeKey(w))
    expect(webhookInstant(w)).toBe('2026-11-24T13:18:55.665Z')
    expect(classifyDelivery(w, new Set([SCORE_CODE]))).toEqual({ kind: 'person.upsert', personId: '8' })
  })

  it('reads both timestamp forms the documentation shows (10-digit seconds and ISO)', () => {
    const w = delivery('webhook-person-change.json')
    w.meta.timestamp = '1764000000'
    expect(webhookInstant(w)).toBe(new Date(1764000000 * 1000).toISOString())
  })

  it("recognises the echo of Leadgrid's own field write and ignores it", () => {
    const w = delivery('webhook-person-change.json')
    w.previous = {
      custom_fields: { [SCORE_CODE]: { type: 'double', value: 90 } },
      update_time: '2026-11-24T13:00:00Z',
    }
    expect(classifyDelivery(w, new Set([SCORE_CODE])).kind).toBe('ignored')
    // A change to a field of the customer's alongside ours is not an echo.
    w.previous = { custom_fields: { [SCORE_CODE]: { value: 90 }, other: { value: 1 } } }
    expect(classifyDelivery(w, new Set([SCORE_CODE])).kind).toBe('person.upsert')
  })

  it('a delete caused by a merge names the survivor', () => {
    expect(classifyDelivery(delivery('webhook-person-merged-delete.json'), new Set())).toEqual({
      kind: 'person.merged',
      personId: '9',
      mergedInto: '8',
    })
  })

  it('refuses a body that is not a v2 delivery, naming what is wrong', () => {
    const parsed = parsePipedriveWebhook({ meta: { action: 'change' }, data: {} })
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.issues.map((i) => i.path)).toContain('meta.entity')
  })
})

describe('Pipedrive ⇄ Leadgrid mapping', () => {
  it("a person's profile: primary email, names, title; our own fields never feed the score", () => {
    const w = delivery('webhook-person-change.json')
    const profile = profileFromPerson(w.data as never, new Set([SCORE_CODE]))
    expect(profile).toEqual({
      email: 'claire@acme-software.com',
      firstname: 'Claire',
      lastname: 'Martin',
      jobtitle: 'CEO',
      'pipedrive.org_id': 1,
      'pipedrive.owner_id': 777,
    })
    const withoutOwn = profileFromPerson(w.data as never, new Set())
    expect(withoutOwn[`pipedrive.${SCORE_CODE}`]).toBe(978)
  })

  it('a meeting marked done is booked and held, with ids derived from the activity', () => {
    const w = delivery('webhook-activity-meeting.json')
    const events = eventsFromActivity('5380474', w.data as never, new Date())
    expect(events.map((e) => [e.id, e.type, e.occurredAt])).toEqual([
      ['pd:5380474:activity:55:booked:8', 'meeting.booked', '2026-11-20T10:00:00.000Z'],
      ['pd:5380474:activity:55:held:8', 'meeting.held', '2026-11-26T14:59:00.000Z'],
    ])
  })

  it('a deal becoming won records an outcome for its person; other changes record nothing', () => {
    const w = delivery('webhook-deal-won.json')
    expect(dealOutcome(w.data, w.previous)).toEqual({
      kind: 'won',
      occurredAt: '2026-11-25T09:59:58.000Z',
      personId: '8',
    })
    expect(dealOutcome(w.data, { value: 10 })).toBeNull()
    expect(dealOutcome({ ...w.data, status: 'open' }, { status: 'lost' })).toBeNull()
  })
})

describe('Pipedrive person fields', () => {
  it('reuses fields of the same name and type, creates the rest, leaves a same-name field of another type alone', () => {
    const plan = planPersonFields(fixture('person-fields.json').data)
    expect(plan.found.score).toEqual({ code: SCORE_CODE })
    expect(plan.found.band?.options).toEqual({ cold: 11, warm: 12, hot: 13 })
    expect(plan.missing.map((f) => f.name)).toEqual(
      LEADGRID_PERSON_FIELDS.filter((f) => !['score', 'band'].includes(f.key)).map((f) => f.name),
    )
    expect(plan.conflicts).toEqual([{ name: 'Fit score', existingType: 'varchar', wantedType: 'double' }])
  })

  it('a score becomes custom_fields keyed by this company’s codes, options by id', () => {
    const fields = {
      score: { code: 's' },
      band: { code: 'b', options: { cold: 11, warm: 12, hot: 13 } },
      mqlStatus: { code: 'm', options: { MQL: 21, 'Not MQL': 22 } },
      mqlDate: { code: 'd' },
    }
    const values = scoreToPersonFields(
      {
        score: 105,
        fit: 15,
        engagement: 90,
        band: 'hot',
        grade: 'A1',
        mql: true,
        mqlSince: '2026-11-20T08:00:00.000Z',
        reasons: '+50 Whitepapers (2)',
        scoredAt: '2026-11-30T12:00:00.000Z',
      },
      fields,
    )
    expect(values).toEqual({ s: 105, b: 13, m: 21, d: '2026-11-20' })
    expect(ownFieldCodes(fields)).toEqual(new Set(['s', 'b', 'm', 'd']))
  })
})

describe('Pipedrive JSON panel', () => {
  const secret = 'client-secret-of-the-app'
  const now = new Date('2026-11-30T12:00:00Z')
  const sign = (claims: Record<string, unknown>, key = secret, exp = now.getTime() / 1000 + 300) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(key))

  it("trusts only the token's claims", async () => {
    const token = await sign({ companyId: 5380474, userId: 777 })
    expect(await verifyPanelToken(token, secret, now)).toEqual({ companyId: '5380474', userId: '777' })
    await expect(verifyPanelToken(token, secret, now, '999')).rejects.toMatchObject({ reason: 'mismatch' })
  })

  it('refuses a forged, expired or missing token', async () => {
    await expect(
      verifyPanelToken(await sign({ companyId: 1, userId: 2 }, 'other'), secret, now),
    ).rejects.toBeInstanceOf(PanelAuthError)
    await expect(
      verifyPanelToken(
        await sign({ companyId: 1, userId: 2 }, secret, now.getTime() / 1000 - 3600),
        secret,
        now,
      ),
    ).rejects.toMatchObject({ reason: 'expired' })
    await expect(verifyPanelToken(undefined, secret, now)).rejects.toMatchObject({ reason: 'missing' })
  })

  it('answers within 10 objects × 20 fields', () => {
    const panel = scorePanel(
      {
        personId: '8',
        score: 105,
        fit: 15,
        engagement: 90,
        band: 'hot',
        grade: 'A1',
        mql: true,
        mqlSince: '2026-11-20T08:00:00.000Z',
        reasons: 'x'.repeat(400),
        scoredAt: '2026-11-30T12:00:00.000Z',
        changes: Array.from({ length: 50 }, (_, i) => ({ at: '2026-11-29T00:00:00Z', from: i, to: i + 1 })),
      },
      'https://leadgrid.test/app/contacts/8',
      null,
    )
    // A single-object panel: one object, never an array (panel-schema.json is `"type": "object"`).
    expect(Array.isArray(panel.data)).toBe(false)
    expect(Object.keys(panel.data).length).toBeLessThanOrEqual(20)
    expect((panel.data as { reasons: string }).reasons.length).toBe(255)
  })
})

describe('Pipedrive OAuth token endpoint', () => {
  const BASE = 'https://oauth.pipedrive.test'
  beforeAll(() => nock.disableNetConnect())
  afterEach(() => {
    expect(nock.isDone()).toBe(true)
    nock.cleanAll()
  })
  const oauth = createPipedriveOAuth(
    {
      clientId: 'cid',
      clientSecret: 'csecret',
      oauthBase: BASE,
      redirectUri: 'https://leadgrid.test/oauth/pipedrive/callback',
    },
    { now: () => new Date('2026-11-30T12:00:00Z') },
  )

  it('exchanges a code with Basic auth and a form body, keeping api_domain', async () => {
    let form = ''
    nock(BASE)
      .post('/oauth/token', (b) => {
        form = new URLSearchParams(b).toString()
        return true
      })
      .matchHeader('authorization', `Basic ${Buffer.from('cid:csecret').toString('base64')}`)
      .reply(200, fixture('token-response.json'))
    const tokens = await oauth.exchangeCode('the-code')
    expect(new URLSearchParams(form).get('grant_type')).toBe('authorization_code')
    expect(new URLSearchParams(form).get('code')).toBe('the-code')
    expect(tokens.apiDomain).toBe('https://acme-sandbox.pipedrive.com')
    expect(tokens.expiresAt.toISOString()).toBe('2026-11-30T12:59:59.000Z')
  })

  it('a dead refresh token is reported as revoked', async () => {
    nock(BASE)
      .post('/oauth/token')
      .reply(400, { error: 'invalid_grant', message: 'Invalid grant: refresh token is invalid' })
    const err = await oauth.refresh('dead').catch((e) => e)
    expect(err.revoked).toBe(true)
  })
})
