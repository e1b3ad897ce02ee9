/**
 * Signed, expiring, single-use tokens that carry Leadgrid's state through a CRM's OAuth redirect (and
 * through install links handed to a user): a JSON payload with a random nonce and an expiry, MACed with
 * a key derived from the session secret for one purpose, so the secret itself never signs anything a
 * user sees. A token signed for one `kind` is refused as another.
 *
 * Single use is the database's: `consume` records the nonce (oauth_state_nonces), so a state used on
 * one web process is refused on every other.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { Db } from '../db/database.js'
import { consumeOAuthStateNonce } from '../db/oauth-state-repository.js'

export interface SignedStateContent {
  /** What the token carries (workspace, where to return, …): the caller's own fields. */
  content: Record<string, unknown>
  nonce: string
  expiresAt: Date
}

export type StateConsumption =
  | { ok: true; token: SignedStateContent }
  | { ok: false; reason: 'invalid' | 'used' }

export interface SignedStates {
  sign(kind: string, content?: Record<string, unknown>): string
  /** The token's content, or null when it is forged, malformed, expired or of another kind. */
  read(kind: string, token: string | undefined): SignedStateContent | null
  /** `read`, then records its nonce: a second consumption of the same token is `used`. */
  consume(kind: string, token: string | undefined): Promise<StateConsumption>
}

export interface SignedStatesOptions {
  /** The secret the key is derived from; without one nothing can be signed and nothing reads as valid. */
  secret: string | undefined
  /** HKDF info: one key per purpose (`hubspot-oauth-state`, …). */
  keyPurpose: string
  ttlMs: number
  clock: Pick<Clock, 'now'>
  db: Db
}

export class StateKeyMissing extends Error {
  constructor() {
    super('No key to sign the OAuth state: set SESSION_SECRET')
    this.name = 'StateKeyMissing'
  }
}

export function createSignedStates(opts: SignedStatesOptions): SignedStates {
  const { clock, ttlMs } = opts
  const key = opts.secret
    ? Buffer.from(hkdfSync('sha256', opts.secret, 'leadgrid', opts.keyPurpose, 32))
    : undefined
  const mac = (payload: string) => {
    if (!key) throw new StateKeyMissing()
    return createHmac('sha256', key).update(payload).digest('base64url')
  }

  function sign(kind: string, content: Record<string, unknown> = {}): string {
    const body = {
      ...content,
      p: kind,
      n: randomBytes(12).toString('base64url'),
      exp: clock.now().getTime() + ttlMs,
    }
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url')
    return `${payload}.${mac(payload)}`
  }

  function read(kind: string, token: string | undefined): SignedStateContent | null {
    if (!token || !key) return null
    const [payload, given, extra] = token.split('.')
    if (!payload || !given || extra !== undefined) return null
    const expected = Buffer.from(mac(payload))
    const actual = Buffer.from(given)
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null
    const parsed = parsePayload(payload)
    if (!parsed) return null
    const { p, n, exp, ...content } = parsed
    if (p !== kind || typeof n !== 'string' || typeof exp !== 'number') return null
    if (exp < clock.now().getTime()) return null
    return { content, nonce: n, expiresAt: new Date(exp) }
  }

  return {
    sign,
    read,
    async consume(kind, token) {
      const state = read(kind, token)
      if (!state) return { ok: false, reason: 'invalid' }
      const first = await consumeOAuthStateNonce(opts.db, state.nonce, state.expiresAt, clock.now())
      return first ? { ok: true, token: state } : { ok: false, reason: 'used' }
    },
  }
}

function parsePayload(payload: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null
  } catch {
    return null // a valid MAC over unparsable JSON is not ours: treated as forged
  }
}
