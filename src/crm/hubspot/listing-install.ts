/**
 * An install started from Leadgrid's HubSpot Marketplace listing (HubSpot's "seamless" install flow
 * without partner sign-in, docs/hubspot.md): the listing's Install button sends the user to
 * GET /oauth/hubspot/install?code=…&returnUrl=…; Leadgrid exchanges the code, installs, and sends
 * the user back to `returnUrl` — without that redirect the user loops back to HubSpot's login.
 *
 * No state cookie protects this code (HubSpot started the flow, not this browser), so instead:
 *  - `returnUrl` must be an https URL on hubspot.com (or a subdomain): otherwise the install URL
 *    would be an open redirect. Checked before anything else; a bad one exchanges nothing.
 *  - Each code is used once: its SHA-256 is recorded (the single-use table of install states) before
 *    it is exchanged, on every process alike, so a replayed URL is refused without a token call.
 *  - A forged or expired code is refused by HubSpot's token endpoint: 400, nothing stored.
 *  - The code is exchanged with the install URL as its redirect URI (it is where HubSpot sent it).
 *  - The install creates or reattaches the portal's own workspace; it never attaches to a
 *    workspace named by the browser, and it signs nobody in to Leadgrid.
 * The partner-sign-in variant (`step=authorize|finalize`) is not used by Leadgrid's listing: refused.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { AppDeps } from '../../app-deps.js'
import { consumeOAuthStateNonce } from '../../db/oauth-state-repository.js'
import { BadRequest, CrmError } from '../../errors.js'

type Deps = Pick<AppDeps, 'db' | 'clock' | 'crm'>

/** How long a used code stays recorded: longer than HubSpot keeps an unused one valid. */
const USED_CODE_TTL_MS = 24 * 60 * 60_000

export const listingInstallQuery = z.object({
  code: z.string().min(1).max(2048),
  returnUrl: z.string().min(1).max(4096),
  step: z.string().max(40).optional(),
})

/** True for an https URL on hubspot.com or one of its subdomains (app.hubspot.com, app-eu1.hubspot.com…). */
export function isHubSpotReturnUrl(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return false
  const host = url.hostname.toLowerCase()
  return host === 'hubspot.com' || host.endsWith('.hubspot.com')
}

const refused = (why: string, code: string) =>
  new BadRequest(`${why}; start the install again from HubSpot`, undefined, code)

/** Completes a listing install and answers the URL to send the user back to (HubSpot's returnUrl). */
export async function completeListingInstall(
  deps: Deps,
  query: z.infer<typeof listingInstallQuery>,
): Promise<string> {
  const hs = deps.crm.hubspot
  if (query.step !== undefined)
    throw refused(
      'Leadgrid does not use partner sign-in in its HubSpot install',
      'partner_sign_in_unsupported',
    )
  if (!isHubSpotReturnUrl(query.returnUrl))
    throw refused('The returnUrl of this install is not a HubSpot address', 'invalid_return_url')
  const now = deps.clock.now()
  const digest = createHash('sha256').update(query.code, 'utf8').digest('hex')
  const first = await consumeOAuthStateNonce(
    deps.db,
    `hubspot-code:${digest}`,
    new Date(now.getTime() + USED_CODE_TTL_MS),
    now,
  )
  if (!first) throw refused('This install link was already used', 'code_used')
  try {
    const tokens = await hs.oauth.exchangeCode(query.code, hs.oauth.installRedirectUri)
    await hs.install.completeInstall(tokens)
  } catch (err) {
    // A forged, used or expired code: HubSpot refuses it (4xx). Its unreachability stays a 5xx.
    if (err instanceof CrmError && !err.retryable)
      throw refused(
        'HubSpot refused this authorisation code (forged, already used or expired)',
        'install_failed',
      )
    throw err
  }
  return query.returnUrl
}
