/**
 * What one CRM brings to Leadgrid, as a module (`crm/<provider>/index.ts`) listed once in
 * crm/providers.ts. From the neutral deps below, a module builds its adapter (the `CrmProvider` the
 * neutral services call), then — once those services exist — everything else the app would otherwise
 * name by hand: its HTTP routes, what the Connections tab shows, which settings a workspace may
 * change, which hosts may frame the settings page, and its sign-in from inside the CRM.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import type { z } from 'zod'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { SecretBox } from '../crypto/secret-box.js'
import type { Db } from '../db/database.js'
import type { IngestionService } from '../events/ingestion-service.js'
import type { JobQueue } from '../jobs/queue.js'
import type { AppSession } from '../sessions/app-session.js'
import type { ConnectionService } from './connection-service.js'
import type { SharedDailyBudgets } from './daily-budget.js'
import type { DeliveryService } from './delivery-service.js'
import type { SharedRateWindows } from './rate-limiter.js'
import type { SyncService } from './sync-service.js'
import type { CrmProvider, CrmProviderName } from './types.js'

/** What every provider module is built from (the composition root's services, nothing provider-named). */
export interface CrmModuleDeps {
  config: Readonly<Config>
  db: Db
  clock: Clock
  logger: Logger
  queue: Pick<JobQueue, 'send'>
  secretBox: SecretBox
  sessionSecret: string
  ingestion: IngestionService
  /** Burst windows shared by every process (server mode); unset: per process. */
  rateWindows?: SharedRateWindows | undefined
  /** Daily budgets shared by every process (server mode); unset: per process. */
  dailyBudgets?: SharedDailyBudgets | undefined
}

/** The neutral CRM services, built on the adapters, that a provider's own parts may use. */
export interface CrmNeutralServices {
  connections: ConnectionService
  deliveries: DeliveryService
  sync: SyncService
}

/** The routes a provider registers on the app (or under /api/v1, behind the workspace API key). */
export type CrmRoutes = (app: FastifyInstance) => Promise<void>

/** What the Connections tab shows and does for one provider. */
export interface CrmConnectionsTab {
  /** The provider's name as a person reads it. */
  label: string
  /** The server has this provider's app credentials. */
  configured(): boolean
  /** Why "connect" cannot work here (an operator's hint) and its stable code. */
  notConfigured: { message: string; code: string }
  /** The link that attaches a new account of this CRM to the workspace (may set a cookie). */
  installLink(workspaceId: string, reply: FastifyReply): string
}

/** Signing in to the settings page from inside the CRM (a token the CRM signed). */
export interface CrmSignIn {
  /** Under /app (e.g. `/pipedrive`). */
  path: string
  /** The session a token grants, or null when it is missing, forged, expired or names no install. */
  grant(token: string | undefined): Promise<AppSession | null>
}

/** One provider's parts, once the neutral services exist. */
export interface CrmProviderParts {
  readonly name: CrmProviderName
  readonly provider: CrmProvider
  /** The connection settings a workspace may change (PATCH /api/v1/connections/:id), strict. */
  readonly settingsSchema: z.ZodType<Record<string, unknown>>
  /** Hosts allowed to frame the settings page (the CRM's own app pages). */
  readonly frameAncestors: readonly string[]
  readonly connectionsTab: CrmConnectionsTab
  readonly signIn?: CrmSignIn
  /** A line of the signed-out page saying how to sign in from inside this CRM (HTML, per language). */
  readonly signInHint?: { en: string; fr: string }
  /** Public routes: OAuth, webhooks, the CRM's record views. */
  readonly routes: CrmRoutes
  /** Routes under /api/v1 (workspace API key already checked), if any. */
  readonly apiRoutes?: CrmRoutes
  /** The provider's own services (OAuth, install…), for its tests and tools. */
  readonly services: unknown
}

/** A provider's module, in two steps: the adapter first, the rest once the neutral services exist. */
export interface CrmModule {
  readonly name: CrmProviderName
  build(deps: CrmModuleDeps): CrmModuleBuild
}

export interface CrmModuleBuild {
  provider: CrmProvider
  parts(services: CrmNeutralServices): CrmProviderParts
}
