/**
 * The scopes Leadgrid's Pipedrive app is registered with in Developer Hub. Pipedrive's authorize URL
 * takes no scope: the user accepts the app's whole set at once, so the set itself must be the
 * narrowest that works (https://pipedrive.readme.io/docs/marketplace-scopes-and-permissions-explanations).
 * docs/pipedrive.md says what each is for (a unit test keeps it and the README in step with this
 * list), and an install whose token lacks one says so in the log and the audit.
 *
 * `admin` is not asked for: it needs an admin installer and opens far more than Leadgrid uses. Apps
 * registered before the narrower scopes existed hold it instead of `contact-fields:full` and
 * `webhooks:full`, which it covers (same page).
 */

export interface PipedriveScope {
  scope: string
  /** Older scopes that open the same endpoints (an install granted one of them lacks nothing). */
  coveredBy: readonly string[]
}

export const PIPEDRIVE_SCOPES: readonly PipedriveScope[] = [
  // Read persons (backfill, reconciliation, webhook follow-ups, a deal's participants) and write
  // Leadgrid's fields on them (PATCH /api/v2/persons/{id}); also reads the person fields.
  { scope: 'contacts:full', coveredBy: [] },
  // Create Leadgrid's person fields and their options (POST /api/v2/personFields[/{code}/options]).
  { scope: 'contact-fields:full', coveredBy: ['admin'] },
  // Create, list and delete the app's own webhooks (/api/v1/webhooks).
  { scope: 'webhooks:full', coveredBy: ['admin'] },
  // Deal data: won and lost deals become outcomes (delivered by the deal webhook).
  { scope: 'deals:read', coveredBy: ['deals:full'] },
  // Activity data: meetings, calls and emails become engagement events (the activity webhook).
  { scope: 'activities:read', coveredBy: ['activities:full'] },
]

/** The scopes Leadgrid needs that a token's granted list lacks (none covered by an older one). */
export function missingScopes(granted: readonly string[]): string[] {
  const has = new Set(granted)
  return PIPEDRIVE_SCOPES.filter((s) => !has.has(s.scope) && !s.coveredBy.some((c) => has.has(c))).map(
    (s) => s.scope,
  )
}
