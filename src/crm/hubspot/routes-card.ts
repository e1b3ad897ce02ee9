/**
 * The requests HubSpot relays for the app's UI extensions through `hubspot.fetch` (v3-signed):
 *  POST /hubspot/card       the contact card's data, from Leadgrid's database (card.ts)
 *  POST /hubspot/app-link   a one-time sign-in link to the settings page, for the app's settings
 *                           component and the card
 * Both trust only the portal (and user) HubSpot signs into the URL (fetch-identity.ts).
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { createLoginLink } from '../../sessions/login-links.js'
import type { HubSpotCardService } from './card.js'
import { requireSignedPortal, signedFetchIdentity } from './fetch-identity.js'
import type { HubSpotInstallService } from './install.js'
import { requireHubSpotSignature, type SignatureCheckDeps } from './signature.js'

export type HubSpotCardRouteDeps = SignatureCheckDeps &
  Parameters<typeof createLoginLink>[0] & {
    crm: { hubspot: { card: HubSpotCardService; install: Pick<HubSpotInstallService, 'byPortal'> } }
  }

const hubspotId = z.union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)]).transform(String)

// The portal is HubSpot's, from the signed URL (fetch-identity.ts); one in the body (written by
// extensions deployed earlier) is only checked against it.
const cardBody = z.object({
  portalId: hubspotId.optional(),
  objectId: hubspotId,
  objectTypeId: z.string().max(20).optional(),
})

// The user is HubSpot's too (`userId` in the signed URL); a `userId` in the body is ignored.
const appLinkBody = z.object({ portalId: hubspotId.optional() })

/**
 * Short: the component fetches the link when it renders and the user clicks it right away; a
 * reload of the settings page fetches a fresh one.
 */
export const HUBSPOT_APP_LINK_TTL_MS = 5 * 60_000

export function hubspotCardRoutes(deps: HubSpotCardRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const hs = deps.crm.hubspot

    app.post('/hubspot/card', async (request) => {
      requireHubSpotSignature(deps, request)
      const who = signedFetchIdentity(request.url)
      const body = cardBody.parse(request.body)
      requireSignedPortal(who, body.portalId)
      return hs.card.cardFor(who.portalId, body.objectId)
    })

    // Sign-in from HubSpot: only HubSpot can sign this request, and the portal it signs into the URL
    // is the one the user is in, so the link grants that portal's workspace. Admin: HubSpot shows app
    // settings only to users allowed to manage apps. The button opens a new tab (a top-level
    // visit), so the link is not a framed one and the session cookie stays SameSite=Lax.
    // "Not installed" is a 200 with `installed: false`: HubSpot's proxy may hand the component its
    // own error instead of an error answer of ours, so nothing the component needs rides on one.
    app.post('/hubspot/app-link', async (request) => {
      requireHubSpotSignature(deps, request)
      const who = signedFetchIdentity(request.url)
      const body = appLinkBody.parse(request.body ?? {})
      requireSignedPortal(who, body.portalId)
      const connection = await hs.install.byPortal(who.portalId)
      if (connection?.status !== 'active') return { installed: false }
      const url = await createLoginLink(deps, {
        workspaceId: connection.workspace_id,
        role: 'admin',
        actor: who.userId ? `HubSpot user ${who.userId}` : `HubSpot portal ${who.portalId}`,
        ttlMs: HUBSPOT_APP_LINK_TTL_MS,
      })
      request.log.info({ workspaceId: connection.workspace_id }, 'HubSpot sign-in link handed out')
      return { installed: true, url, expiresInSeconds: HUBSPOT_APP_LINK_TTL_MS / 1000 }
    })
  }
}
