import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  computeV1Signature,
  computeV2Signature,
  computeV3Signature,
  decodeV3Uri,
  publicRequestUri,
  verifyV1Signature,
  verifyV2Signature,
  verifyV3Signature,
} from '../../../src/crm/hubspot/signature.js'

// Vectors from https://developers.hubspot.com/docs/faq/v1-request-validation and
// https://developers.hubspot.com/docs/faq/v2-request-validation
const DOC_SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy'
const V1_BODY =
  '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'

describe('v1 and v2 signatures (documented vectors)', () => {
  it('matches the v1 vector', () => {
    expect(computeV1Signature(DOC_SECRET, V1_BODY)).toBe(
      '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de',
    )
    expect(
      verifyV1Signature(
        DOC_SECRET,
        V1_BODY,
        '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de',
      ),
    ).toBe(true)
    expect(
      verifyV1Signature(
        DOC_SECRET,
        V1_BODY.replace('123', '124'),
        '232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de',
      ),
    ).toBe(false)
  })

  it('matches the v2 GET and POST vectors', () => {
    const uri = 'https://www.example.com/webhook_uri'
    expect(computeV2Signature({ clientSecret: DOC_SECRET, method: 'GET', uri, rawBody: '' })).toBe(
      'eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e',
    )
    const post = {
      clientSecret: DOC_SECRET,
      method: 'POST',
      uri,
      rawBody: '{"example_field":"example_value"}',
    }
    expect(computeV2Signature(post)).toBe('9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900')
    expect(
      verifyV2Signature({
        ...post,
        signature: '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900',
      }),
    ).toBe(true)
    expect(verifyV2Signature({ ...post, signature: undefined })).toBe(false)
  })
})

describe('v3 signature', () => {
  const secret = 'client-secret-0123'
  const body = '[{"eventId":1,"portalId":62515,"objectId":123}]'
  const uri = 'https://leadgrid.example.com/webhooks/hubspot'
  const now = Date.UTC(2026, 2, 31, 12, 0, 0)
  const ts = String(now - 1000)
  const sign = (s = secret, u = uri, b = body, t = ts) =>
    createHmac('sha256', s).update(`POST${u}${b}${t}`).digest('base64')

  it('has no official vector; this one is recomputed with a plain HMAC, as the guide describes', () => {
    expect(
      computeV3Signature({
        clientSecret: DOC_SECRET,
        method: 'POST',
        uri: 'https://www.example.com/webhook_uri',
        rawBody: '{"example_field":"example_value"}',
        timestamp: '1700000000000',
      }),
    ).toBe('rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o=')
  })

  it('accepts a valid signature', () => {
    const r = verifyV3Signature({
      clientSecret: secret,
      method: 'POST',
      uri,
      rawBody: body,
      signature: sign(),
      timestamp: ts,
      nowMs: now,
    })
    expect(r).toEqual({ ok: true })
  })

  it('rejects a signature made with another secret', () => {
    const r = verifyV3Signature({
      clientSecret: secret,
      method: 'POST',
      uri,
      rawBody: body,
      signature: sign('another-secret'),
      timestamp: ts,
      nowMs: now,
    })
    expect(r).toEqual({ ok: false, reason: 'mismatch' })
  })

  it('rejects a timestamp older than 5 minutes even with a correct signature', () => {
    const old = String(now - 5 * 60 * 1000 - 1)
    const r = verifyV3Signature({
      clientSecret: secret,
      method: 'POST',
      uri,
      rawBody: body,
      signature: sign(secret, uri, body, old),
      timestamp: old,
      nowMs: now,
    })
    expect(r).toEqual({ ok: false, reason: 'stale' })
  })

  it('rejects a tampered body', () => {
    const r = verifyV3Signature({
      clientSecret: secret,
      method: 'POST',
      uri,
      rawBody: body.replace('123', '124'),
      signature: sign(),
      timestamp: ts,
      nowMs: now,
    })
    expect(r).toEqual({ ok: false, reason: 'mismatch' })
  })

  it('rejects missing headers and malformed timestamps', () => {
    const base = { clientSecret: secret, method: 'POST', uri, rawBody: body, nowMs: now }
    expect(verifyV3Signature({ ...base, signature: undefined, timestamp: ts })).toEqual({
      ok: false,
      reason: 'missing',
    })
    expect(verifyV3Signature({ ...base, signature: sign(), timestamp: 'yesterday' })).toEqual({
      ok: false,
      reason: 'malformed_timestamp',
    })
  })

  it('decodes only the documented sequences of an encoded URI before hashing', () => {
    expect(decodeV3Uri('https://x.io/p%3Fa?q=%3A%2F%40%21%24%27%28%29%2a%2C%3B%20%25')).toBe(
      "https://x.io/p?a?q=:/@!$'()*,;%20%25",
    )
    // HubSpot hashes the decoded URI; the request line Fastify sees keeps the percent-encoding.
    const requestUrl = '/webhooks/hubspot?portal=62515&from=a%3Ab%40c&note=x%20y'
    const seen = publicRequestUri('https://leadgrid.example.com/', requestUrl)
    const hashedByHubSpot = 'https://leadgrid.example.com/webhooks/hubspot?portal=62515&from=a:b@c&note=x%20y'
    const r = verifyV3Signature({
      clientSecret: secret,
      method: 'POST',
      uri: seen,
      rawBody: body,
      signature: sign(secret, hashedByHubSpot),
      timestamp: ts,
      nowMs: now,
    })
    expect(r).toEqual({ ok: true })
  })

  it('keeps a reverse-proxy path prefix of PUBLIC_URL', () => {
    expect(publicRequestUri('https://host.example/leadgrid', '/webhooks/hubspot')).toBe(
      'https://host.example/leadgrid/webhooks/hubspot',
    )
  })
})
