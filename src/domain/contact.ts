/**
 * A contact: one person, known by one or more identities.
 */

/** The normalized profile keys a grid can test; CRM properties come as `hubspot.<name>` / `pipedrive.<key>`. */
export const PROFILE_KEYS = [
  'email',
  'firstname',
  'lastname',
  'jobtitle',
  'seniority',
  'company',
  'company_size',
  'industry',
  'country',
  'city',
  'lifecycle_stage',
  'lead_source',
] as const

export type ProfileValue = string | number | boolean | null
export type ContactProfile = Record<string, ProfileValue>

/**
 * How a person is recognised. `anonymous` is the tracking snippet's visitor id, merged into the
 * contact once the visitor identifies; `external` is the customer's own id for API callers.
 */
export const IDENTITY_KINDS = ['email', 'hubspot', 'pipedrive', 'external', 'anonymous'] as const
export type IdentityKind = (typeof IDENTITY_KINDS)[number]

export interface ContactIdentity {
  kind: IdentityKind
  value: string
}

/** Emails are compared case-insensitively everywhere; this is the one place that says how. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}
