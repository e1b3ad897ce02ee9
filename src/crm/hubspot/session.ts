/**
 * A HubSpot session: what the provider's `open()` returns for one connection (one portal) — the
 * portal's client and API areas, and the CrmSession calls over them. What a run of webhook deliveries
 * means is session-deliveries.ts; deal outcomes are session-deals.ts.
 *
 * - provision: Leadgrid's contact properties and their group (provisioning.ts); no subscriptions:
 *   HubSpot's webhooks come with the app.
 * - contactsPage: 100 contacts a page (cursor: HubSpot's `after`); changedSince: the search API by
 *   `lastmodifieddate`, restarted from the newest change seen when a query reaches 10,000 results.
 * - writeBatch: one batch update of up to 100 contacts; HubSpot's per-record failures are refused items.
 * - every contact read also reports the stages HubSpot dates on it (outcomes.ts), so the backfill and
 *   reconciliation record past outcomes too.
 */
import type { Logger } from 'pino'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import type { CrmConnection, CrmPage, CrmSession, CrmWriteItem } from '../types.js'
import { BATCH_LIMIT, createHubSpotClient } from './client.js'
import { companiesApi } from './client-companies.js'
import { contactsApi, type HubSpotContact } from './client-contacts.js'
import { createHubSpotOutcomeReads } from './client-deals.js'
import { propertiesApi } from './client-properties.js'
import { readContactCompanies } from './companies.js'
import {
  COMPANY_READ_PROPERTIES,
  CONTACT_READ_PROPERTIES,
  companyFallbacks,
  hubspotValuesOf,
} from './mapping.js'
import { OUTCOME_CONTACT_PROPERTIES } from './outcomes.js'
import { provisionHubSpotProperties } from './provisioning.js'
import type { HubSpotRateLimits } from './rate-limits.js'
import { hubspotRecords } from './records.js'
import { createDealOutcomes } from './session-deals.js'
import { interpretDeliveries } from './session-deliveries.js'

export interface HubSpotSessionDeps {
  limits: HubSpotRateLimits
  config: Pick<Config, 'HUBSPOT_API_BASE' | 'HUBSPOT_APP_ID'>
  clock: Clock
  logger: Logger
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

function newestModified(contacts: HubSpotContact[], floor: number): number {
  let newest = floor
  for (const c of contacts) {
    const t = new Date(c.properties['lastmodifieddate'] ?? c.updatedAt ?? 0).getTime()
    if (Number.isFinite(t)) newest = Math.max(newest, t)
  }
  return newest
}

/** The next reconciliation cursor: 10,000 results per query, so a new query from the newest change seen. */
function nextCursor(
  res: { exhausted: boolean; after?: string | undefined },
  from: number,
  newest: number,
): SearchCursor | null {
  if (res.exhausted) return { since: newest }
  return res.after ? { since: from, after: res.after } : null
}

/** HubSpot takes strings; an empty string clears a value. What is recorded as written is what was sent. */
function asSent(items: CrmWriteItem[]): CrmWriteItem[] {
  return items.map((i) => ({
    ...i,
    properties: Object.fromEntries(
      Object.entries(i.properties).map(([k, v]) => [k, v === null ? '' : String(v)]),
    ),
  }))
}

export function openHubSpotSession(
  deps: HubSpotSessionDeps,
  connection: CrmConnection,
  accessToken: () => Promise<string>,
): CrmSession {
  const { config, clock, logger } = deps
  const portalId = connection.account_id
  const client = createHubSpotClient({
    portalId,
    apiBase: connection.api_base ?? config.HUBSPOT_API_BASE,
    accessToken,
    limits: deps.limits,
  })
  const contacts = contactsApi(client)
  const companies = companiesApi(client)
  const deals = createHubSpotOutcomeReads((method, path, body) =>
    client.jsonRequest(`${method} ${path}`, method, path, body),
  )
  const dealOutcomes = createDealOutcomes({ connection, deals, logger })

  async function records(read: HubSpotContact[]) {
    const companiesOf = await readContactCompanies({ logger }, connection, companies, read)
    return hubspotRecords(portalId, read, companiesOf, clock.now())
  }

  return {
    async provision() {
      const report = await provisionHubSpotProperties(propertiesApi(client))
      logger.info(
        { connectionId: connection.id, created: report.created, mismatched: report.mismatched },
        'HubSpot properties provisioned',
      )
      return { report: { ...report } }
    },

    async contactsPage(cursor): Promise<CrmPage> {
      const res = await contacts.listContactsPage({
        ...(cursor ? { after: cursor } : {}),
        properties: CONTACT_PROPERTIES,
        limit: BATCH_LIMIT,
      })
      return { ...(await records(res.contacts)), read: res.contacts.length, next: res.after ?? null }
    },

    async changedSince(since, cursor) {
      const at: SearchCursor = cursor ? (JSON.parse(cursor) as SearchCursor) : {}
      const from = at.since ?? since.getTime()
      const res = await contacts.searchContactsModifiedSince({
        since: new Date(from),
        properties: CONTACT_PROPERTIES,
        ...(at.after ? { after: at.after } : {}),
      })
      const newest = newestModified(res.contacts, from)
      const next = nextCursor(res, from, newest)
      return {
        ...(await records(res.contacts)),
        read: res.contacts.length,
        next: next ? JSON.stringify(next) : null,
        newest: res.contacts.length > 0 ? new Date(newest) : null,
      }
    },

    async writeBatch(items: CrmWriteItem[]) {
      const sent = asSent(items)
      const res = await contacts.batchUpdateContacts(
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

    interpretDeliveries: (payloads) =>
      interpretDeliveries(
        { dealOutcomes, readContacts: (ids) => contacts.batchReadContacts(ids, CONTACT_PROPERTIES), records },
        payloads,
        { appId: config.HUBSPOT_APP_ID, logger },
      ),

    async companyUpdates(linked) {
      const wanted = [...new Set(linked.map((l) => l.companyId))]
      const found = new Map(
        (await companies.batchReadCompanies(wanted, COMPANY_READ_PROPERTIES)).map((c) => [c.id, c]),
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
