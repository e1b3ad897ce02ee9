/**
 * A request as HubSpot's `hubspot.fetch` proxy sends it to Leadgrid: the URL the extension asked
 * for, with the metadata HubSpot adds to its query (portalId, userId, userEmail, appId), signed v3
 * over method + that full URL + body + timestamp, the URL decoded as the request-validation page
 * says. Written here from the documentation, not from Leadgrid's own signing code.
 * https://developers.hubspot.com/docs/apps/developer-platform/add-features/ui-extensibility/fetching-data
 * https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation
 */
import { createHmac } from 'node:crypto'

export interface FetchMetadata {
  portalId?: string | number
  userId?: string | number
  userEmail?: string
  appId?: string | number
}

/** `path` (which may already carry a query the extension wrote) plus HubSpot's metadata. */
export function hubspotFetchPath(path: string, meta: FetchMetadata): string {
  const params = new URLSearchParams()
  for (const key of ['userId', 'portalId', 'userEmail', 'appId'] as const) {
    const v = meta[key]
    if (v !== undefined) params.append(key, String(v))
  }
  const query = params.toString()
  if (!query) return path
  return `${path}${path.includes('?') ? '&' : '?'}${query}`
}

const DECODED: Record<string, string> = {
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

/** The X-HubSpot-Signature-v3 headers for a POST of `body` to `uri` (the full public URL). */
export function signedFetchHeaders(
  uri: string,
  body: string,
  opts: { secret: string; ageMs?: number; method?: string },
): Record<string, string> {
  const timestamp = String(Date.now() - (opts.ageMs ?? 1000))
  const decoded = uri.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => DECODED[m.toUpperCase()] ?? m,
  )
  const signature = createHmac('sha256', opts.secret)
    .update(`${opts.method ?? 'POST'}${decoded}${body}${timestamp}`, 'utf8')
    .digest('base64')
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': timestamp,
  }
}
