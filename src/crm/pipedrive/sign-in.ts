/**
 * Signing in to the settings page from Pipedrive, without a password: the app-settings link and the
 * panel's settings link carry a JWT signed with the app's client secret (Pipedrive signs the one it
 * passes to app extensions; Leadgrid signs the panel's own, 5 minutes). Verified, it names a company
 * and a user; the session opens on the workspace that company's active connection belongs to.
 * A user who authorized the app (installed it) is an admin; any other user of the company reads.
 */
import { SignJWT } from 'jose'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import { findConnectionByAccount, hasAuthorization } from '../../db/connection-repository.js'
import type { Db } from '../../db/database.js'
import type { AppSession } from '../../sessions/app-session.js'
import { verifyPanelToken } from './panel.js'

const LINK_TTL_SECONDS = 300

/** A short-lived token for a settings link Leadgrid hands out itself (the JSON panel's). */
export function signPipedriveSignInToken(
  secret: string,
  identity: { companyId: string; userId: string },
  now: Date,
): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000)
  return new SignJWT({ companyId: identity.companyId, userId: identity.userId })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + LINK_TTL_SECONDS)
    .sign(new TextEncoder().encode(secret))
}

/** What a Pipedrive token grants, or null when it is missing, forged, expired or names no install. */
export async function pipedriveSignInGrant(
  deps: { db: Db; clock: Clock; config: Pick<Config, 'PIPEDRIVE_CLIENT_SECRET'> },
  token: string | undefined,
): Promise<AppSession | null> {
  const secret = deps.config.PIPEDRIVE_CLIENT_SECRET
  if (!secret || !token) return null
  let identity: { companyId: string; userId: string }
  try {
    identity = await verifyPanelToken(token, secret, deps.clock.now())
  } catch {
    return null // forged, expired or malformed: the caller answers 401 without saying which
  }
  const connection = await findConnectionByAccount(deps.db, 'pipedrive', identity.companyId)
  if (connection?.status !== 'active') return null
  const admin = await hasAuthorization(deps.db, connection, identity.userId)
  return {
    workspaceId: connection.workspace_id,
    role: admin ? 'admin' : 'viewer',
    actor: `Pipedrive user ${identity.userId}`,
  }
}
