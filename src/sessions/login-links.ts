/**
 * Passwordless sign-in to the settings page: a one-time link (`/app/login?token=…`) valid for a few
 * minutes, printed by `npm start` and `leadgrid login-link`, or handed out by a CRM's signed
 * backend call. Only the token's SHA-256 is stored; the link is spent on first use.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import { hashSecret } from '../crypto/api-keys.js'
import type { Db } from '../db/database.js'
import {
  type AppRole,
  deleteStaleLoginTokens,
  insertLoginToken,
  redeemLoginToken,
} from '../db/login-token-repository.js'
import { findWorkspace } from '../db/workspace-repository.js'
import { BadRequest, NotFound } from '../errors.js'

export type { AppRole } from '../db/login-token-repository.js'

/** Long enough to copy a link from a terminal into a browser, short enough to be useless if leaked later. */
export const LOGIN_LINK_TTL_MS = 15 * 60_000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const TOKEN = /^[A-Za-z0-9_-]{43}$/

export interface LoginLinkOptions {
  workspaceId: string
  role?: AppRole
  /** Who signs in, as the audit log will name them (default: "<role> via sign-in link"). */
  actor?: string
  ttlMs?: number
}

/** What a sign-in link needs: the database, the time, and PUBLIC_URL for the link itself. */
export interface LoginLinkDeps {
  db: Db
  clock: Clock
  config: Pick<Config, 'PUBLIC_URL'>
}

/** Creates a one-time sign-in link and returns it as an absolute URL under PUBLIC_URL. */
export async function createLoginLink(deps: LoginLinkDeps, options: LoginLinkOptions): Promise<string> {
  const role = options.role ?? 'admin'
  if (role !== 'admin' && role !== 'viewer') throw new BadRequest('role must be "admin" or "viewer"')
  if (!UUID.test(options.workspaceId)) throw new NotFound(`No workspace ${options.workspaceId}`)
  const ws = await findWorkspace(deps.db, options.workspaceId)
  if (!ws) throw new NotFound(`No workspace ${options.workspaceId}`)
  const token = randomBytes(32).toString('base64url')
  const now = deps.clock.now()
  // Links expired for a day are of no use, not even to explain a refusal: drop them as we go.
  await deleteStaleLoginTokens(deps.db, new Date(now.getTime() - 86_400_000))
  await insertLoginToken(deps.db, {
    workspaceId: ws.id,
    tokenHash: hashSecret(token),
    role,
    actor: (options.actor ?? `${role} via sign-in link`).slice(0, 200),
    now,
    expiresAt: new Date(now.getTime() + (options.ttlMs ?? LOGIN_LINK_TTL_MS)),
  })
  return `${deps.config.PUBLIC_URL}/app/login?token=${token}`
}

/** What a token grants, spending it; null when it is malformed, unknown, expired or already used. */
export async function redeemLoginLink(deps: Pick<LoginLinkDeps, 'db' | 'clock'>, token: unknown) {
  if (typeof token !== 'string' || !TOKEN.test(token)) return null
  return redeemLoginToken(deps.db, hashSecret(token), deps.clock.now())
}
