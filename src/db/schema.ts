/**
 * Kysely's view of migrations/*.sql. The SQL files are the truth; keep this in step with them.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { CrmProviderName } from '../domain/crm.js'

/** timestamptz: read as Date, written as Date or ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>
type Json<T = unknown> = ColumnType<T, string, string>

export interface WorkspacesTable {
  id: Generated<string>
  name: string
  public_key: string
  settings: ColumnType<Record<string, unknown>, string | undefined, string>
  is_demo: Generated<boolean>
  created_at: Generated<Date>
}

export interface ApiKeysTable {
  workspace_id: string
  id: Generated<string>
  name: string
  key_hash: string
  key_prefix: string
  created_at: Generated<Date>
  last_used_at: Timestamp | null
  revoked_at: Timestamp | null
}

export interface ConnectionsTable {
  workspace_id: string
  id: Generated<string>
  provider: CrmProviderName
  account_id: string
  status: ColumnType<'active' | 'uninstalled' | 'error', 'active' | 'uninstalled' | 'error' | undefined>
  access_token_enc: string | null
  refresh_token_enc: string | null
  token_expires_at: Timestamp | null
  scopes: ColumnType<string[], string[] | undefined, string[]>
  api_base: string | null
  settings: ColumnType<Record<string, unknown>, string | undefined, string>
  provisioning: ColumnType<Record<string, unknown>, string | undefined, string>
  backfill: ColumnType<Record<string, unknown>, string | undefined, string>
  reconcile_cursor: Timestamp | null
  last_webhook_at: Timestamp | null
  last_error: string | null
  last_error_at: Timestamp | null
  /** The CRM user whose authorization the token columns hold (migrations/007), when known. */
  authorized_by: ColumnType<string | null, string | null | undefined, string | null>
  created_at: Generated<Date>
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/** One CRM user's authorization of a connection (migrations/007); tokens sealed. */
export interface CrmAuthorizationsTable {
  workspace_id: string
  connection_id: string
  user_id: string
  access_token_enc: string
  refresh_token_enc: string
  token_expires_at: Timestamp
  created_at: Generated<Date>
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface ContactsTable {
  workspace_id: string
  id: Generated<string>
  email: string | null
  properties: Json<Record<string, string | number | boolean | null>>
  first_seen_at: Timestamp
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/** A contact waiting for a rescore (migrations/003): kept apart from the contact row, see there. */
export interface ContactRescoreMarksTable {
  workspace_id: string
  contact_id: string
  marked_at: ColumnType<Date, Date | string | undefined, Date | string>
  reason: string
}

/** A key range of a whole-workspace rescore pass (migrations/015_rescore_chunks.sql). */
export interface RescoreChunksTable {
  workspace_id: string
  lo: string
  hi: string
  done_to: string | null
  grid_id: string
  reason: string
  started_at: ColumnType<Date, Date | string | undefined, Date | string>
  claim: string | null
  claimed_until: Date | null
}

export interface ContactIdentitiesTable {
  workspace_id: string
  kind: 'email' | 'hubspot' | 'pipedrive' | 'external' | 'anonymous'
  value: string
  contact_id: string
  created_at: Generated<Date>
}

export interface EventsTable {
  workspace_id: string
  dedupe_key: string
  contact_id: string
  type: string
  occurred_at: Timestamp
  attributes: Json<Record<string, string | number | boolean | null>>
  source: string
  received_at: Generated<Date>
}

export interface GridsTable {
  workspace_id: string
  id: Generated<string>
  version: number
  name: string
  status: 'draft' | 'published' | 'retired'
  definition: Json<unknown>
  note: string | null
  created_at: Generated<Date>
  published_at: Timestamp | null
}

export interface ScoresTable {
  workspace_id: string
  contact_id: string
  grid_id: string
  fit: number
  engagement: number
  total: number
  band: string
  grade: string
  mql: boolean
  mql_since: Timestamp | null
  reasons: string
  contributions: Json<unknown>
  computed_at: Timestamp
}

export interface ScoreHistoryTable {
  workspace_id: string
  contact_id: string
  id: Generated<string>
  grid_id: string
  fit: number
  engagement: number
  total: number
  band: string
  grade: string
  mql: boolean
  reasons: string
  cause: string
  computed_at: Timestamp
}

export interface InboundDeliveriesTable {
  workspace_id: string
  connection_id: string
  delivery_key: string
  payload: Json<unknown>
  received_at: Generated<Date>
  processed_at: Timestamp | null
  attempts: Generated<number>
  last_error: string | null
}

export interface PublishRequestsTable {
  workspace_id: string
  id: Generated<string>
  definition: Json<unknown>
  note: string | null
  requested_by: string
  requested_at: Date
  status: ColumnType<'pending' | 'approved' | 'rejected', 'pending' | undefined, 'approved' | 'rejected'>
  decided_by: string | null
  decided_at: Date | null
  grid_id: string | null
}

export interface OutboxTable {
  workspace_id: string
  connection_id: string
  contact_id: string
  crm_id: string
  properties: Json<Record<string, string | number | null>>
  status: ColumnType<'pending' | 'parked', 'pending' | 'parked' | undefined>
  /** Parked after retryable failures only (the CRM was down): the next flush tries it again. */
  parked_retryable: Generated<boolean>
  attempts: Generated<number>
  last_error: string | null
  created_at: Generated<Date>
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface CrmWrittenValuesTable {
  workspace_id: string
  connection_id: string
  contact_id: string
  properties: Json<Record<string, string | number | null>>
  written_at: Timestamp
}

/** A contact's CRM company (HubSpot: its primary associated company); see migration 004. */
export interface CrmCompanyLinksTable {
  workspace_id: string
  connection_id: string
  contact_id: string
  company_id: string
  updated_at: Generated<Date>
}

export interface AuditLogTable {
  workspace_id: string
  id: Generated<string>
  at: Generated<Date>
  actor: string
  action: string
  details: Json<Record<string, unknown>>
}

export interface OAuthStateNoncesTable {
  nonce: string
  expires_at: Timestamp
}

/** migrations/006: one-time sign-in links for the settings page. */
export interface LoginTokensTable {
  workspace_id: string
  token_hash: string
  role: 'admin' | 'viewer'
  actor: string
  created_at: Timestamp
  expires_at: Timestamp
  used_at: Timestamp | null
}

export interface Database {
  workspaces: WorkspacesTable
  api_keys: ApiKeysTable
  connections: ConnectionsTable
  contacts: ContactsTable
  contact_rescore_marks: ContactRescoreMarksTable
  rescore_chunks: RescoreChunksTable
  contact_identities: ContactIdentitiesTable
  events: EventsTable
  grids: GridsTable
  scores: ScoresTable
  score_history: ScoreHistoryTable
  inbound_deliveries: InboundDeliveriesTable
  outbox: OutboxTable
  publish_requests: PublishRequestsTable
  crm_written_values: CrmWrittenValuesTable
  crm_company_links: CrmCompanyLinksTable
  audit_log: AuditLogTable
  oauth_state_nonces: OAuthStateNoncesTable
  login_tokens: LoginTokensTable
  crm_authorizations: CrmAuthorizationsTable
}

export type WorkspaceRow = Selectable<WorkspacesTable>
export type ConnectionRow = Selectable<ConnectionsTable>
export type NewConnection = Insertable<ConnectionsTable>
export type ConnectionUpdate = Updateable<ConnectionsTable>
export type ContactRow = Selectable<ContactsTable>
export type EventRow = Selectable<EventsTable>
export type GridRow = Selectable<GridsTable>
export type ScoreRow = Selectable<ScoresTable>
