/**
 * Verifies that a request comes from HubSpot (webhooks, app-card `hubspot.fetch`, workflow actions).
 *
 * Written from HubSpot's "Validating requests" guide, not from the SDK's `Signature` helper: the SDK
 * neither decodes the URI, nor compares in constant time, nor rejects future timestamps.
 * Sources: https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation
 *          https://developers.hubspot.com/docs/faq/v1-request-validation
 *          https://developers.hubspot.com/docs/faq/v2-request-validation
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import { Unauthorized } from '../../errors.js'

/** HubSpot rejects nothing itself; the guide says to reject timestamps older than 5 minutes. */
export const MAX_SIGNATURE_AGE_MS = 5 * 60 * 1000
/** Clocks drift; a timestamp far in the future is as suspicious as a stale one. */
const MAX_CLOCK_SKEW_MS = 60 * 1000

export type SignatureFailure = 'missing' | 'malformed_timestamp' | 'stale' | 'future' | 'mismatch'
export type SignatureResult = { ok: true } | { ok: false; reason: SignatureFailure }

/**
 * The only percent-encoded sequences the v3 scheme decodes before hashing (the guide's table);
 * everything else stays as HubSpot sent it.
 */
const V3_DECODED: Readonly<Record<string, string>> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
}

export function decodeV3Uri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => V3_DECODED[m.toUpperCase()] ?? m)
}

/**
 * The URI HubSpot called, as seen from outside: the public base URL (scheme, host, any path prefix
 * of a reverse proxy) followed by the path and query Fastify received (`request.url`, untouched).
 */
export function publicRequestUri(publicUrl: string, requestUrl: string): string {
  const base = publicUrl.replace(/\/+$/, '')
  const path = requestUrl.startsWith('/') ? requestUrl : `/${requestUrl}`
  return base + path
}

export function computeV3Signature(input: {
  clientSecret: string
  method: string
  uri: string
  rawBody: string
  timestamp: string
}): string {
  const source = input.method.toUpperCase() + decodeV3Uri(input.uri) + input.rawBody + input.timestamp
  return createHmac('sha256', input.clientSecret).update(source, 'utf8').digest('base64')
}

export function verifyV3Signature(input: {
  clientSecret: string
  method: string
  uri: string
  rawBody: string
  signature: string | undefined
  timestamp: string | undefined
  nowMs: number
}): SignatureResult {
  if (!input.signature || !input.timestamp) return { ok: false, reason: 'missing' }
  if (!/^\d{1,16}$/.test(input.timestamp)) return { ok: false, reason: 'malformed_timestamp' }
  const ts = Number(input.timestamp)
  if (input.nowMs - ts > MAX_SIGNATURE_AGE_MS) return { ok: false, reason: 'stale' }
  if (ts - input.nowMs > MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'future' }
  const expected = computeV3Signature({ ...input, timestamp: input.timestamp })
  return safeEqual(expected, input.signature) ? { ok: true } : { ok: false, reason: 'mismatch' }
}

/** v1: hex SHA-256 of client secret + raw body (CRM webhooks sent with X-HubSpot-Signature-Version: v1). */
export function computeV1Signature(clientSecret: string, rawBody: string): string {
  return createHash('sha256')
    .update(clientSecret + rawBody, 'utf8')
    .digest('hex')
}

/** v2: hex SHA-256 of client secret + method + URI + raw body (workflow actions, legacy cards). */
export function computeV2Signature(input: {
  clientSecret: string
  method: string
  uri: string
  rawBody: string
}): string {
  return createHash('sha256')
    .update(input.clientSecret + input.method.toUpperCase() + input.uri + input.rawBody, 'utf8')
    .digest('hex')
}

export function verifyV1Signature(
  clientSecret: string,
  rawBody: string,
  signature: string | undefined,
): boolean {
  return !!signature && safeEqual(computeV1Signature(clientSecret, rawBody), signature.toLowerCase())
}

export function verifyV2Signature(input: {
  clientSecret: string
  method: string
  uri: string
  rawBody: string
  signature: string | undefined
}): boolean {
  return !!input.signature && safeEqual(computeV2Signature(input), input.signature.toLowerCase())
}

/**
 * Constant-time comparison. Both sides are hashed first so the buffers have equal length and the
 * comparison leaks neither the expected value nor its length.
 */
function safeEqual(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest()
  const b = createHash('sha256').update(given, 'utf8').digest()
  return timingSafeEqual(a, b)
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** What a route needs to check HubSpot's signature on a request. */
export interface SignatureCheckDeps {
  config: Pick<Config, 'HUBSPOT_CLIENT_SECRET' | 'PUBLIC_URL'>
  clock: Pick<Clock, 'now'>
}

/**
 * Throws 401 unless HubSpot signed this request (v3, or v2 where `allowV2`).
 *
 * Signature failures are deliberately NOT limited per address (unlike API and tracking keys,
 * src/http/auth-failure-limiter.ts): every portal's webhooks, cards and workflow actions come from
 * HubSpot's shared addresses, so one bad sender there — or a secret mid-rotation — would block every
 * customer's deliveries. Nothing is guessable either: the signature is an HMAC-SHA256 under the
 * client secret over the timestamped request, refused when stale, so failures teach nothing.
 */
export function requireHubSpotSignature(
  deps: SignatureCheckDeps,
  request: FastifyRequest,
  allowV2 = false,
): void {
  const secret = deps.config.HUBSPOT_CLIENT_SECRET
  if (!secret) throw new Unauthorized('HubSpot is not configured on this server', 'hubspot_not_configured')
  const uri = publicRequestUri(deps.config.PUBLIC_URL, request.url)
  const rawBody = request.rawBody ?? ''
  const v3 = headerValue(request, 'x-hubspot-signature-v3')
  if (v3 || !allowV2) {
    const result = verifyV3Signature({
      clientSecret: secret,
      method: request.method,
      uri,
      rawBody,
      signature: v3,
      timestamp: headerValue(request, 'x-hubspot-request-timestamp'),
      nowMs: deps.clock.now().getTime(),
    })
    if (!result.ok) {
      // The path only: HubSpot puts the user's email address in the query of hubspot.fetch requests.
      request.log.warn(
        { reason: result.reason, path: request.url.split('?')[0] },
        'HubSpot signature rejected',
      )
      throw new Unauthorized('The HubSpot signature is missing, stale or wrong', 'invalid_signature')
    }
    return
  }
  const signature = headerValue(request, 'x-hubspot-signature')
  if (!verifyV2Signature({ clientSecret: secret, method: request.method, uri, rawBody, signature })) {
    throw new Unauthorized('The HubSpot signature is missing or wrong', 'invalid_signature')
  }
}
