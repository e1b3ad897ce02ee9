/**
 * The CRM vocabulary every layer shares: which CRMs there are, a connection as the adapters see it,
 * and the records and delivery effects a provider's adapter produces. The provider contract itself
 * (what an adapter implements) is crm/types.ts; the database stores these shapes (db/).
 */
import type { ContactProfile } from './contact.js'
import type { OutcomeKind } from './outcome.js'

export const CRM_PROVIDER_NAMES = ['hubspot', 'pipedrive'] as const
export type CrmProviderName = (typeof CRM_PROVIDER_NAMES)[number]

/**
 * One CRM account attached to a workspace, as an adapter receives it: its ids, state, sealed
 * tokens and what provisioning, backfill and settings recorded. The database's row has more.
 */
export interface CrmConnection {
  workspace_id: string
  id: string
  provider: CrmProviderName
  account_id: string
  status: 'active' | 'uninstalled' | 'error'
  access_token_enc: string | null
  refresh_token_enc: string | null
  token_expires_at: Date | null
  scopes: string[]
  /** The account's own API host, where the CRM names one (Pipedrive's `api_domain`). */
  api_base: string | null
  settings: Record<string, unknown>
  provisioning: Record<string, unknown>
  backfill: Record<string, unknown>
  reconcile_cursor: Date | null
  last_webhook_at: Date | null
  last_error: string | null
  last_error_at: Date | null
  /** The CRM user whose authorization the token columns hold, when known. */
  authorized_by: string | null
  created_at: Date
}

/** The CRM-visible part of a score. */
export interface CrmScoreValues {
  score: number
  fit: number
  engagement: number
  band: 'cold' | 'warm' | 'hot'
  grade: string
  mql: boolean
  mqlSince: string | null
  reasons: string
  scoredAt: string
}

export type CrmPropertyValues = Record<string, string | number | null>

/** Tokens as a provider's token endpoint grants them (plaintext: sealed before they are stored). */
export interface CrmTokenGrant {
  accessToken: string
  refreshToken: string
  expiresAt: Date
  scopes?: string[]
  /** Some CRMs name each account's API host in their token answer (Pipedrive's `api_domain`). */
  apiBase?: string
}

/**
 * What Leadgrid learns from CRM records: contact upserts (profile, identities, first-seen time) and
 * the lead events their state implies, in the ingestion service's own shapes (`Contact`, `Event`:
 * see crm/types.ts, which names them). Event ids are derived from the CRM's state, so the same
 * record read twice (webhook, reconciliation, backfill) stores once.
 */
export interface CrmRecords<Contact, Event> {
  contacts: Contact[]
  events: Event[]
  /**
   * The company each of these records belongs to in the CRM (record id → company id, null: none), for
   * providers that read companies. Recorded by the neutral services (crm_company_links), so a later
   * company edit reaches its contacts; records absent from the map keep their link as it was.
   */
  companyLinks?: Map<string, string | null>
  /**
   * What these records say happened to the persons (lifecycle stages entered, disqualified),
   * recorded by the neutral services for calibration; keyed by the CRM's fact, so reading a record
   * again records nothing new.
   */
  outcomes?: CrmOutcome[]
}

/** A contact linked to a changed company, as Leadgrid stores it (read by the neutral services). */
export interface CrmLinkedContact {
  crmId: string
  companyId: string
  profile: ContactProfile
}

/** What a run of stored webhook deliveries means, once the provider has read what it needed. */
export interface CrmDeliveryEffects<Contact, Event> extends CrmRecords<Contact, Event> {
  /**
   * Sets of CRM ids that now name one person (the CRM merged them), the surviving id LAST: the others
   * stop naming the contact. Applied before the records.
   */
  merges: string[][]
  /** CRM ids whose person was deleted in the CRM: erased here too (privacy). */
  erased: string[]
  /** Deals won or lost (and the like) for the persons they concern, kept for calibration. */
  outcomes: CrmOutcome[]
  /** Companies whose values Leadgrid reads changed (or were deleted): their linked contacts are updated. */
  companiesChanged?: string[]
}

export interface CrmOutcome {
  /** The person's id in this CRM. */
  crmId: string
  kind: OutcomeKind
  occurredAt: string
  /** Stable id of the fact in the CRM (deal id and status), so a redelivery records it once. */
  sourceKey: string
}

export interface CrmWriteItem {
  contactId: string
  crmId: string
  properties: CrmPropertyValues
}

/** A batch the CRM answered: what it took, and the records it refused (parked, never retried blindly). */
export interface CrmWriteResult {
  written: CrmWriteItem[]
  refused: { items: CrmWriteItem[]; message: string }[]
}

/** One page of records and where the next page starts (null: the end). */
export interface CrmPage<Contact, Event> extends CrmRecords<Contact, Event> {
  read: number
  next: string | null
}
