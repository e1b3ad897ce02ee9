/**
 * What Leadgrid needs from a CRM, in Leadgrid's words: the contract each provider folder implements
 * (an adapter and its sessions), on top of the shared CRM vocabulary of domain/crm.ts. Nothing outside
 * a provider folder knows a provider's field names.
 */
import type { ContactProfile } from '../domain/contact.js'
import type {
  CrmConnection,
  CrmDeliveryEffects as CrmDeliveryEffectsOf,
  CrmLinkedContact,
  CrmOutcome,
  CrmPage as CrmPageOf,
  CrmPropertyValues,
  CrmProviderName,
  CrmRecords as CrmRecordsOf,
  CrmScoreValues,
  CrmTokenGrant,
  CrmWriteItem,
  CrmWriteResult,
} from '../domain/crm.js'
import type { ContactUpsert, EventInput } from '../events/ingestion-schemas.js'

export type {
  CrmConnection,
  CrmLinkedContact,
  CrmOutcome,
  CrmPropertyValues,
  CrmProviderName,
  CrmScoreValues,
  CrmTokenGrant,
  CrmWriteItem,
  CrmWriteResult,
} from '../domain/crm.js'

/** CRM records in the ingestion service's shapes (see domain/crm.ts). */
export type CrmRecords = CrmRecordsOf<ContactUpsert, EventInput>
export type CrmDeliveryEffects = CrmDeliveryEffectsOf<ContactUpsert, EventInput>
export type CrmPage = CrmPageOf<ContactUpsert, EventInput>

/** How a provider writes scores: property names and formats are the provider's business. */
export interface CrmWriteBackMapping {
  /** The provider's property values for a score (every property Leadgrid owns). */
  toCrmProperties(values: CrmScoreValues, connection: CrmConnection): CrmPropertyValues
  /**
   * Properties that change on every computation (the "scored at" time): a write is not worth
   * sending for them alone, but they go along when anything else changed.
   */
  volatileProperties(connection: CrmConnection): string[]
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
  refreshTokens(connection: CrmConnection, refreshToken: string): Promise<CrmTokenGrant>
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
  open(connection: CrmConnection, accessToken: () => Promise<string>): CrmSession
  /** Sort key of a stored delivery, so deliveries are worked oldest change first. */
  deliveryOrder(payload: unknown): number
  /**
   * Last edits to a batch before it is sent, from what Leadgrid knows of the contacts (HubSpot: move
   * the lifecycle stage forward on MQL). `profiles` reads the contacts' stored profiles: adapters
   * never touch the database themselves.
   */
  prepareWrites?(
    connection: CrmConnection,
    items: CrmWriteItem[],
    profiles: (contactIds: string[]) => Promise<Map<string, ContactProfile>>,
  ): Promise<CrmWriteItem[]>
}

/**
 * Where outcomes a CRM reported go (the calibration store): `provider` names the source,
 * `identityKind` the identities its record ids are stored under.
 */
export type CrmOutcomeRecorder = (
  workspaceId: string,
  from: { provider: CrmProviderName; identityKind: CrmProviderName },
  outcomes: CrmOutcome[],
) => Promise<void>
