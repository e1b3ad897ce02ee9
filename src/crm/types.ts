/**
 * What Leadgrid needs from a CRM, in Leadgrid's words. Each provider folder (hubspot/, pipedrive/)
 * implements these; nothing outside a provider folder knows a provider's field names.
 */
import type { ConnectionRow } from '../db/schema.js'
import type { ContactProfile } from '../domain/contact.js'
import type { OutcomeKind } from '../domain/outcome.js'
import type { ContactUpsert, EventInput } from '../events/ingestion-schemas.js'

export type CrmProviderName = 'hubspot' | 'pipedrive'

/** The CRM-visible part of a score (SPEC §6). */
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

/** How a provider writes scores: property names and formats are the provider's business. */
export interface CrmWriteBackMapping {
  /** The provider's property values for a score (every property Leadgrid owns). */
  toCrmProperties(values: CrmScoreValues, connection: ConnectionRow): CrmPropertyValues
  /**
   * Properties that change on every computation (the "scored at" time): a write is not worth
   * sending for them alone, but they go along when anything else changed.
   */
  volatileProperties(connection: ConnectionRow): string[]
}

/** Tokens as a provider's token endpoint grants them (plaintext: sealed before they are stored). */
export interface CrmTokenGrant {
  accessToken: string
  refreshToken: string
  expiresAt: Date
  scopes?: string[]
  /** Pipedrive names each company's API host in its token answer (`api_domain`). */
  apiBase?: string
}

/**
 * What Leadgrid learns from CRM records: contact upserts (profile, identities, first-seen time) and
 * the lead events their state implies, in the ingestion service's own shapes. Event ids are derived
 * from the CRM's state, so the same record read twice (webhook, reconciliation, backfill) stores once.
 */
export interface CrmRecords {
  contacts: ContactUpsert[]
  events: EventInput[]
  /**
   * The company each of these records belongs to in the CRM (record id → company id, null: none), for
   * providers that read companies (HubSpot). Recorded by the neutral services (crm_company_links), so
   * a later company edit reaches its contacts; records absent from the map keep their link as it was.
   */
  companyLinks?: Map<string, string | null>
  /**
   * What these records say happened to the persons (HubSpot: lifecycle stages entered, disqualified),
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
export interface CrmDeliveryEffects extends CrmRecords {
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
export interface CrmPage extends CrmRecords {
  read: number
  next: string | null
}

/**
 * A provider's API for one connection, valid while its token getter is. Failures are CrmErrors whose
 * `retryable` says whether waiting helps; an auth failure whose token is dead says so through
 * `CrmProvider.isRevoked`.
 */
export interface CrmSession {
  /** Creates Leadgrid's properties/fields when missing; what it learnt goes into the connection's settings. */
  provision(): Promise<{ report: Record<string, unknown>; settings?: Record<string, unknown> }>
  /**
   * Webhook subscriptions the provider registers itself (Pipedrive); HubSpot's come with the app.
   * `settings`: what the connection must keep (sealed delivery credentials under keys ending in Enc).
   */
  subscribe?(): Promise<{ report: Record<string, unknown>; settings?: Record<string, unknown> }>
  /**
   * Checks the subscriptions `subscribe` registered still exist and re-creates the missing ones with
   * the credentials already stored (a user deleted one, or the CRM dropped it). Called by each
   * reconciliation pass; returns what it re-created.
   */
  ensureSubscriptions?(): Promise<{ recreated: string[] }>
  /** One page of every contact, for the backfill (`cursor` null: the first page). */
  contactsPage(cursor: string | null): Promise<CrmPage>
  /** Contacts changed since `since`, oldest change first, for reconciliation. */
  changedSince(since: Date, cursor: string | null): Promise<CrmPage & { newest: Date | null }>
  /** Writes one batch (at most `CrmProvider.writeBatchSize` items). */
  writeBatch(items: CrmWriteItem[]): Promise<CrmWriteResult>
  /** Reads what stored deliveries refer to and says what they mean. */
  interpretDeliveries(payloads: unknown[]): Promise<CrmDeliveryEffects>
  /**
   * The contacts of changed companies, given their stored profiles: the updates their new company
   * values imply, and the companies the CRM no longer has (their links are dropped).
   */
  companyUpdates?(linked: CrmLinkedContact[]): Promise<{ contacts: ContactUpsert[]; gone: string[] }>
  /** Tells the CRM we are leaving (HubSpot's uninstall API); a no-op where the CRM has none. */
  uninstall(): Promise<void>
}

/** Everything Leadgrid needs from a CRM, in its own words. One per provider, in the registry. */
export interface CrmProvider {
  readonly name: CrmProviderName
  readonly writeBatchSize: number
  /**
   * Batches a flush may have in flight at once (default 1). The provider's rate limiter still sets
   * the pace; a second batch on its way hides the latency of each call, so the budget, not the
   * round-trips, is what limits a large backlog.
   */
  readonly writeConcurrency?: number
  readonly writeBack: CrmWriteBackMapping
  /** The identity kind its record ids are stored under (`contact_identities.kind`). */
  readonly identityKind: CrmProviderName
  refreshTokens(connection: ConnectionRow, refreshToken: string): Promise<CrmTokenGrant>
  /** The refresh token is dead (uninstalled, revoked, expired): stop and mark the connection. */
  isRevoked(err: unknown): boolean
  /**
   * Revokes one user's refresh token, for a disconnect started from Leadgrid where the CRM asks the
   * app to (Pipedrive: revoking it marks the app uninstalled for that user). Absent: nothing to revoke.
   */
  revokeRefreshToken?(refreshToken: string): Promise<void>
  /**
   * The account's daily API allowance is spent: writes wait for `retryAfterMs` (its reset) without
   * counting as failed attempts, and the connection's health shows why.
   */
  isBudgetSpent?(err: unknown): boolean
  open(connection: ConnectionRow, accessToken: () => Promise<string>): CrmSession
  /** Sort key of a stored delivery, so deliveries are worked oldest change first. */
  deliveryOrder(payload: unknown): number
  /**
   * Last edits to a batch before it is sent, from what Leadgrid knows of the contacts (HubSpot: move
   * the lifecycle stage forward on MQL). `profiles` reads the contacts' stored profiles: adapters
   * never touch the database themselves.
   */
  prepareWrites?(
    connection: ConnectionRow,
    items: CrmWriteItem[],
    profiles: (contactIds: string[]) => Promise<Map<string, ContactProfile>>,
  ): Promise<CrmWriteItem[]>
}
