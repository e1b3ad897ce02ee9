/**
 * HubSpot behind Leadgrid's CRM contract (../types.ts): the provider-neutral services (connections,
 * outbox flush, install/backfill/reconcile, deliveries) call this and never a HubSpot API directly,
 * and this never touches the database — what it learns (company links, changed companies) goes back
 * to the services in the contract's shapes.
 *
 * - provision: the SPEC §6 contact properties and their group (provisioning.ts); no subscriptions:
 *   HubSpot's webhooks come with the app.
 * - contactsPage: 100 contacts a page (cursor: HubSpot's `after`); changedSince: the search API by
 *   `lastmodifieddate`, restarted from the newest change seen when a query reaches 10,000 results.
 * - writeBatch: one batch update of up to 100 contacts; HubSpot's per-record failures are refused items.
 * - prepareWrites: the optional lifecycle-stage move on MQL, from the stored profile (never backward).
 * - interpretDeliveries: what stored webhook events mean, reading the contacts (and their companies)
 *   they name; lifecycle-stage and lead-status changes are outcomes, and a deal whose stage changed is
 *   read (stages classified from the pipelines API) so a closed one is won or lost for its contacts.
 * - every contact read also reports the stages HubSpot dates on it (outcomes.ts), so the
 *   backfill and reconciliation record past outcomes too.
 */
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import type {
  CrmConnection,
  CrmDeliveryEffects,
  CrmOutcome,
  CrmPage,
  CrmProvider,
  CrmSession,
  CrmWriteItem,
} from '../types.js'
import { BATCH_LIMIT, createHubSpotClient, type HubSpotContact } from './client.js'
import { createHubSpotOutcomeReads } from './client-deals.js'
import { readContactCompanies } from './companies.js'
import { HubSpotApiError, HubSpotAuthError } from './errors.js'
import {
  COMPANY_READ_PROPERTIES,
  CONTACT_READ_PROPERTIES,
  classifyPropertyChange,
  companyFallbacks,
  hubspotValuesOf,
  hubspotWriteBackMapping,
  isCompanyPropertyRead,
  isEchoOfOwnWrite,
  lifecycleStageOnMql,
} from './mapping.js'
import type { HubSpotOAuth } from './oauth.js'
import {
  canReadDeals,
  classifyDealStages,
  isDealStageChange,
  OUTCOME_CONTACT_PROPERTIES,
  outcomeFromPropertyChange,
  outcomesFromDeal,
  type StageClass,
} from './outcomes.js'
import { provisionHubSpotProperties } from './provisioning.js'
import type { HubSpotRateLimits } from './rate-limits.js'
import { hubspotRecords } from './records.js'
import {
  companyEventKind,
  contactEventKind,
  contactOfCompanyAssociation,
  type HubSpotWebhookEvent,
} from './webhooks.js'

export interface HubSpotProviderDeps {
  oauth: Pick<HubSpotOAuth, 'refresh'>
  limits: HubSpotRateLimits
  config: Pick<Config, 'HUBSPOT_API_BASE' | 'HUBSPOT_APP_ID'>
  clock: Clock
  logger: Logger
}

export interface HubSpotConnectionSettings {
  /** Move lifecyclestage forward to marketingqualifiedlead on MQL (never backward). */
  lifecycleOnMql?: boolean
}

/**
 * The reconciliation cursor: HubSpot's `after` within one search, and the time a new search starts
 * from once one reaches the 10,000-result cap.
 */
interface SearchCursor {
  since?: number
  after?: string
}

/** What every contact read asks for: the profile and engagement, and the dated stages (outcomes). */
const CONTACT_PROPERTIES = [...new Set([...CONTACT_READ_PROPERTIES, ...OUTCOME_CONTACT_PROPERTIES])]

/** Each outcome once (the first reported wins: a webhook's own time before a stage's recorded date). */
function uniqueOutcomes(outcomes: CrmOutcome[], erased: ReadonlySet<string>): CrmOutcome[] {
  const seen = new Map<string, CrmOutcome>()
  for (const o of outcomes) if (!erased.has(o.crmId) && !seen.has(o.sourceKey)) seen.set(o.sourceKey, o)
  return [...seen.values()]
}

function newestModified(contacts: HubSpotContact[], floor: number): number {
  let newest = floor
  for (const c of contacts) {
    const t = new Date(c.properties['lastmodifieddate'] ?? c.updatedAt ?? 0).getTime()
    if (Number.isFinite(t)) newest = Math.max(newest, t)
  }
  return newest
}

export function createHubSpotProvider(deps: HubSpotProviderDeps): CrmProvider {
  const { oauth, limits, config, clock, logger } = deps

  function open(connection: CrmConnection, accessToken: () => Promise<string>): CrmSession {
    const portalId = connection.account_id
    const client = createHubSpotClient({
      portalId,
      apiBase: connection.api_base ?? config.HUBSPOT_API_BASE,
      accessToken,
      limits,
    })

    async function records(contacts: HubSpotContact[]) {
      const companies = await readContactCompanies({ logger }, connection, client, contacts)
      return hubspotRecords(portalId, contacts, companies, clock.now())
    }

    const outcomeReads = createHubSpotOutcomeReads((method, path, body) =>
      client.jsonRequest(`${method} ${path}`, method, path, body),
    )
    // Stage id → won/lost/open, read once per session (one delivery run, one reconciliation pass):
    // pipelines rarely change, and a stage added since is read by the next run.
    let stages: Promise<Map<string, StageClass>> | undefined
    const dealStages = () => {
      stages ??= outcomeReads.dealPipelines().then(classifyDealStages)
      stages.catch(() => {
        stages = undefined
      })
      return stages
    }

    /**
     * Won/lost outcomes of the deals whose stage changed, for their associated contacts. Installs that
     * have not granted the deals scope (made before Leadgrid asked for it) skip them until re-installed.
     */
    async function dealOutcomes(dealIds: string[]): Promise<CrmOutcome[]> {
      if (dealIds.length === 0) return []
      if (!canReadDeals(connection)) {
        logger.info(
          { connectionId: connection.id, deals: dealIds.length },
          'HubSpot deal events ignored: the deals scope is not granted (re-install to record deal outcomes)',
        )
        return []
      }
      try {
        const classes = await dealStages()
        const deals = await outcomeReads.batchReadDeals(dealIds)
        const closed = deals.filter((d) => {
          const c = classes.get(d.properties['dealstage'] ?? '')
          return c === 'won' || c === 'lost'
        })
        if (closed.length === 0) return []
        const contactsOf = await outcomeReads.dealContacts(closed.map((d) => d.id))
        return closed.flatMap((d) => outcomesFromDeal(portalId, d, contactsOf.get(d.id) ?? [], classes))
      } catch (err) {
        // Refused for good (403 after a scope change, 400…): the contacts in the same deliveries must
        // still go through, as for companies. Transient failures and a dead token throw: the job retries.
        if (err instanceof HubSpotApiError && !err.retryable) {
          logger.warn(
            { connectionId: connection.id, status: err.status, deals: dealIds.length },
            'HubSpot deals could not be read; their outcomes are not recorded',
          )
          return []
        }
        throw err
      }
    }

    return {
      async provision() {
        const report = await provisionHubSpotProperties(client)
        logger.info(
          { connectionId: connection.id, created: report.created, mismatched: report.mismatched },
          'HubSpot properties provisioned',
        )
        return { report: { ...report } }
      },

      async contactsPage(cursor): Promise<CrmPage> {
        const res = await client.listContactsPage({
          ...(cursor ? { after: cursor } : {}),
          properties: CONTACT_PROPERTIES,
          limit: BATCH_LIMIT,
        })
        return { ...(await records(res.contacts)), read: res.contacts.length, next: res.after ?? null }
      },

      async changedSince(since, cursor) {
        const at: SearchCursor = cursor ? (JSON.parse(cursor) as SearchCursor) : {}
        const from = at.since ?? since.getTime()
        const res = await client.searchContactsModifiedSince({
          since: new Date(from),
          properties: CONTACT_PROPERTIES,
          ...(at.after ? { after: at.after } : {}),
        })
        const newest = newestModified(res.contacts, from)
        // 10,000 results per query: the next page is a new query from the newest change seen.
        const next: SearchCursor | null = res.exhausted
          ? { since: newest }
          : res.after
            ? { since: from, after: res.after }
            : null
        return {
          ...(await records(res.contacts)),
          read: res.contacts.length,
          next: next ? JSON.stringify(next) : null,
          newest: res.contacts.length > 0 ? new Date(newest) : null,
        }
      },

      async writeBatch(items: CrmWriteItem[]) {
        // HubSpot takes strings; an empty string clears a value. What is recorded as written is
        // exactly what was sent.
        const sent = items.map((i) => ({
          ...i,
          properties: Object.fromEntries(
            Object.entries(i.properties).map(([k, v]) => [k, v === null ? '' : String(v)]),
          ),
        }))
        const res = await client.batchUpdateContacts(
          sent.map((i) => ({ id: i.crmId, properties: i.properties as Record<string, string> })),
        )
        const failed = new Set(res.failed.flatMap((f) => f.ids))
        return {
          written: sent.filter((i) => !failed.has(i.crmId)),
          refused: res.failed.map((f) => ({
            items: sent.filter((i) => f.ids.includes(i.crmId)),
            message: `${f.category}: ${f.message}`,
          })),
        }
      },

      async interpretDeliveries(payloads) {
        const events = payloads as HubSpotWebhookEvent[]
        const toFetch = new Set<string>()
        const erase = new Set<string>()
        const merges: string[][] = []
        const changedCompanies = new Set<string>()
        const reported: CrmOutcome[] = []
        const dealIds = new Set<string>()
        for (const e of events) {
          if (isDealStageChange(e)) {
            dealIds.add(String(e.objectId))
            continue
          }
          const kind = contactEventKind(e)
          const objectId = String(e.objectId)
          const companyKind = kind === null ? companyEventKind(e) : null
          if (companyKind !== null) {
            // Only the properties Leadgrid reads can change a contact's profile; a deleted company is
            // read as gone, which clears its contacts' company values.
            if (companyKind === 'deletion' || isCompanyPropertyRead(e.propertyName ?? '')) {
              changedCompanies.add(objectId)
            }
            continue
          }
          if (kind === null) {
            logger.info(
              { subscriptionType: e.subscriptionType, eventId: e.eventId },
              'HubSpot webhook of an unhandled type; acknowledged',
            )
            continue
          }
          if (isEchoOfOwnWrite(e, config.HUBSPOT_APP_ID)) continue
          switch (kind) {
            case 'creation':
            case 'restore':
              toFetch.add(objectId)
              break
            case 'propertyChange': {
              // Lifecycle stage reached, or disqualified: dated by the change itself.
              const outcome = outcomeFromPropertyChange(e)
              if (outcome) reported.push(outcome)
              const what = classifyPropertyChange(e.propertyName ?? '')
              // Profile and engagement changes alike: read the contact as HubSpot holds it now, so the
              // profile is whole and the engagement ids come from HubSpot's state (see mapping.ts).
              if (what === 'profile' || what === 'engagement') toFetch.add(objectId)
              break
            }
            case 'merge': {
              const survivor = e.newObjectId ?? e.primaryObjectId
              const ids = [e.primaryObjectId, e.newObjectId, e.objectId, ...(e.mergedObjectIds ?? [])]
                .filter((x): x is number => x !== undefined && x !== survivor)
                .map(String)
              if (survivor !== undefined) {
                merges.push([...ids, String(survivor)])
                toFetch.add(String(survivor))
              }
              break
            }
            case 'deletion':
            case 'privacyDeletion':
              erase.add(objectId)
              break
            case 'associationChange': {
              // The contact's companies changed: read it again (with its primary company).
              const contactId = contactOfCompanyAssociation(e)
              if (contactId !== null) toFetch.add(contactId)
              break
            }
          }
        }
        const fromDeals = await dealOutcomes([...dealIds])
        // The contacts of a closed deal are read too, so one Leadgrid has not seen yet arrives whole.
        for (const o of fromDeals) toFetch.add(o.crmId)
        for (const id of erase) toFetch.delete(id)
        const contacts =
          toFetch.size > 0 ? await client.batchReadContacts([...toFetch], CONTACT_PROPERTIES) : []
        const read = contacts.length > 0 ? await records(contacts) : { contacts: [], events: [] }
        const effects: CrmDeliveryEffects = {
          ...read,
          merges,
          erased: [...erase],
          outcomes: uniqueOutcomes([...reported, ...fromDeals, ...(read.outcomes ?? [])], erase),
          companiesChanged: [...changedCompanies],
        }
        return effects
      },

      async companyUpdates(linked) {
        const wanted = [...new Set(linked.map((l) => l.companyId))]
        const found = new Map(
          (await client.batchReadCompanies(wanted, COMPANY_READ_PROPERTIES)).map((c) => [c.id, c]),
        )
        return {
          // The contact's own values still win, judged from its stored `hubspot.*` values.
          contacts: linked.map((l) => ({
            contact: { hubspotId: l.crmId },
            properties: companyFallbacks(
              hubspotValuesOf(l.profile),
              found.get(l.companyId)?.properties ?? null,
            ) as Record<string, string | number | boolean | null>,
          })),
          gone: wanted.filter((id) => !found.has(id)),
        }
      },

      uninstall: () => client.uninstall(),
    }
  }

  return {
    name: 'hubspot',
    identityKind: 'hubspot',
    writeBatchSize: BATCH_LIMIT,
    // Two batch calls in flight: each waits on HubSpot (or a busy network) for a while, and the
    // portal's limiter keeps the pair inside 110 calls / 10 s.
    writeConcurrency: 2,
    writeBack: hubspotWriteBackMapping,
    async refreshTokens(_connection, refreshToken) {
      const t = await oauth.refresh(refreshToken)
      // HubSpot may or may not rotate the refresh token; whichever it sends is kept. Scopes are
      // learnt at install (token introspection), not from a refresh.
      return { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresAt: t.expiresAt }
    },
    isRevoked: (err) => err instanceof HubSpotAuthError && err.revoked,
    open,
    deliveryOrder: (payload) => Number((payload as { occurredAt?: unknown }).occurredAt ?? 0),
    async prepareWrites(connection, items, profiles) {
      if ((connection.settings as HubSpotConnectionSettings).lifecycleOnMql !== true) return items
      const mql = items.filter((i) => i.properties['leadgrid_mql_status'] === 'mql')
      if (mql.length === 0) return items
      const stored = await profiles(mql.map((i) => i.contactId))
      return items.map((i) => {
        if (i.properties['leadgrid_mql_status'] !== 'mql' || !stored.has(i.contactId)) return i
        const stage = stored.get(i.contactId)?.['hubspot.lifecyclestage']
        const next = lifecycleStageOnMql(true, typeof stage === 'string' ? stage : null)
        return next ? { ...i, properties: { ...i.properties, lifecyclestage: next } } : i
      })
    },
  }
}
