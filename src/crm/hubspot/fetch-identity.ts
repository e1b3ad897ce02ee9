/**
 * Who is asking, for the requests an app card or the settings component makes through
 * `hubspot.fetch` (POST /hubspot/card, POST /hubspot/app-link). docs/hubspot.md says why, with the
 * pages it rests on; in short:
 *
 *  - The v3 signature proves that HubSpot relayed the request for this app, over the method, the
 *    full URL (query string included), the body and the timestamp. It says nothing about who wrote
 *    the body: that is the extension's own code, running in the user's browser, so a portal id in
 *    the body is whatever the caller chose.
 *  - HubSpot's proxy adds the request's metadata to the URL it calls — `portalId`, `userId`,
 *    `userEmail` (and `appId`) — and signs that URL. That `portalId` is the only portal identity
 *    HubSpot itself vouches for, so it is the one trusted here, and it is required.
 *  - The extension code could put its own `portalId` in the URL it asks for. Whether HubSpot then
 *    replaces it or appends a second one, a URL with the parameter more than once is refused: one
 *    value, HubSpot's, or nothing is trusted.
 *  - A portal id still found in the body (extensions deployed before this rule wrote one) must
 *    agree with the signed one, else 403: nothing is read and no link is made.
 */
import { Forbidden, Unauthorized } from '../../errors.js'

export interface HubSpotFetchIdentity {
  /** The HubSpot account (portal) HubSpot says the request came from. */
  portalId: string
  /** The HubSpot user who triggered it, when HubSpot says so. */
  userId?: string
}

const HUBSPOT_ID = /^\d{1,20}$/

/**
 * The portal (and user) HubSpot put in the signed URL of a `hubspot.fetch` request. Call only
 * after the signature was verified. Throws 401 when the portal is missing, repeated or malformed.
 */
export function signedFetchIdentity(requestUrl: string): HubSpotFetchIdentity {
  const q = requestUrl.indexOf('?')
  const params = new URLSearchParams(q === -1 ? '' : requestUrl.slice(q + 1))
  const portals = params.getAll('portalId')
  const [portalId] = portals
  if (portals.length !== 1 || !portalId || !HUBSPOT_ID.test(portalId)) {
    throw new Unauthorized(
      'This request does not carry the portal HubSpot signs into the URL of a hubspot.fetch request (exactly one portalId)',
      'portal_not_signed',
    )
  }
  const users = params.getAll('userId')
  const [userId] = users
  if (users.length > 1 || (userId !== undefined && !HUBSPOT_ID.test(userId))) {
    throw new Unauthorized('The HubSpot user of this request is ambiguous', 'user_not_signed')
  }
  return userId === undefined ? { portalId } : { portalId, userId }
}

/** 403 when the body names a portal other than the one HubSpot signed. */
export function requireSignedPortal(identity: HubSpotFetchIdentity, bodyPortalId: string | undefined): void {
  if (bodyPortalId !== undefined && bodyPortalId !== identity.portalId) {
    throw new Forbidden(
      'The portal named in this request is not the HubSpot account it came from',
      'portal_mismatch',
    )
  }
}
