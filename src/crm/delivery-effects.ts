/**
 * Applying what a run of webhook deliveries means (the provider's CrmDeliveryEffects) to Leadgrid's
 * data, in the order that keeps it right: merges, then the records, then the company changes they
 * reach, then erasures, then outcomes (never for an erased person).
 */
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { appendAudit } from '../db/audit-repository.js'
import { contactsOfCompanies, unlinkCompanies } from '../db/company-link-repository.js'
import { deleteIdentities, identitiesAmong } from '../db/contact-identity-repository.js'
import { eraseContact, resolveContact } from '../db/contact-repository.js'
import type { Db } from '../db/database.js'
import { markForRescore } from '../db/rescore-mark-repository.js'
import { type ContactRef, crmIdOf } from '../events/ingestion-schemas.js'
import type { IngestionService } from '../events/ingestion-service.js'
import type { ConnectionService } from './connection-service.js'
import type { CrmProviderRegistry } from './provider-registry.js'
import { ingestCrmRecords } from './sync-service.js'
import type { CrmConnection, CrmDeliveryEffects, CrmOutcomeRecorder, CrmProviderName } from './types.js'

export interface DeliveryEffectsDeps {
  db: Db
  clock: Clock
  logger: Logger
  ingestion: Pick<IngestionService, 'ingest'>
  connections: Pick<ConnectionService, 'sessionFor'>
  providers: Pick<CrmProviderRegistry, 'get'>
  /** Where outcomes go (the calibration store); none: they are logged and dropped. */
  recordOutcomes?: CrmOutcomeRecorder
}

export function createDeliveryEffects(deps: DeliveryEffectsDeps) {
  const { db, clock, logger, connections, providers } = deps

  async function applyMerges(workspaceId: string, kind: CrmProviderName, merges: string[][]): Promise<void> {
    for (const ids of merges) {
      const unique = [...new Set(ids)]
      await db.transaction().execute(async (trx) => {
        const known = await identitiesAmong(trx, workspaceId, kind, unique)
        if (known.length === 0) return
        const resolved = await resolveContact(
          trx,
          workspaceId,
          unique.map((value) => ({ kind, value })),
          clock.now(),
        )
        // The last id survives in the CRM; the others name no record any more. Left in place they
        // would compete with it as the contact's CRM id, and a write to them is refused.
        await deleteIdentities(trx, workspaceId, kind, unique.slice(0, -1))
        await markForRescore(trx, workspaceId, [{ contactId: resolved.id, reason: 'merge' }])
      })
    }
  }

  async function applyErasures(workspaceId: string, kind: CrmProviderName, crmIds: string[]): Promise<void> {
    if (crmIds.length === 0) return
    await db.transaction().execute(async (trx) => {
      const found = await identitiesAmong(trx, workspaceId, kind, crmIds)
      for (const contactId of new Set(found.map((f) => f.contact_id)))
        await eraseContact(trx, workspaceId, contactId)
      await appendAudit(trx, workspaceId, {
        actor: kind,
        action: 'contact.erased',
        // The CRM ids only: the person's data is gone.
        details: { provider: kind, crmIds, contacts: found.length },
      })
    })
  }

  /**
   * Companies changed in the CRM: their linked contacts (as stored) get the values the provider derives
   * from the companies' new state, so they are rescored; companies the CRM no longer has lose their links.
   */
  async function applyCompanyChanges(
    connection: CrmConnection,
    kind: CrmProviderName,
    companyIds: string[],
  ): Promise<void> {
    const session = connections.sessionFor(connection)
    if (!session.companyUpdates) return
    const linked = await contactsOfCompanies(db, connection.workspace_id, connection.id, companyIds, kind)
    const named = linked.flatMap((l) =>
      l.crmId === null ? [] : [{ crmId: l.crmId, companyId: l.companyId, profile: l.properties }],
    )
    if (named.length === 0) return
    const { contacts, gone } = await session.companyUpdates(named)
    await ingestCrmRecords(deps, connection, { contacts, events: [] }, kind)
    await unlinkCompanies(db, connection.workspace_id, connection.id, gone)
    logger.info(
      { connectionId: connection.id, companies: companyIds.length, contacts: contacts.length },
      'CRM company changes applied to their contacts',
    )
  }

  return async function apply(connection: CrmConnection, effects: CrmDeliveryEffects): Promise<void> {
    const { workspace_id: workspaceId, provider } = connection
    const kind = providers.get(provider).identityKind
    // Merges first: the surviving id then names one Leadgrid contact when its record is read.
    await applyMerges(workspaceId, kind, effects.merges)
    const erased = new Set(effects.erased)
    const records = {
      contacts: effects.contacts.filter((c) => !isAmong(c.contact, kind, erased)),
      events: effects.events.filter((e) => !isAmong(e.contact, kind, erased)),
      ...(effects.companyLinks ? { companyLinks: effects.companyLinks } : {}),
    }
    await ingestCrmRecords(deps, connection, records, kind)
    // After the records, so company links they just recorded are followed too.
    if (effects.companiesChanged && effects.companiesChanged.length > 0)
      await applyCompanyChanges(connection, kind, effects.companiesChanged)
    await applyErasures(workspaceId, kind, [...erased])
    // Never for an erased person: recording it would bring the contact back.
    const outcomes = effects.outcomes.filter((o) => !erased.has(o.crmId))
    if (outcomes.length > 0) {
      if (deps.recordOutcomes)
        await deps.recordOutcomes(workspaceId, { provider, identityKind: kind }, outcomes)
      else logger.info({ connectionId: connection.id, outcomes: outcomes.length }, 'outcomes not recorded')
    }
  }
}

function isAmong(ref: ContactRef, kind: CrmProviderName, ids: ReadonlySet<string>): boolean {
  if (ids.size === 0) return false
  const id = crmIdOf(ref, kind)
  return id !== undefined && ids.has(id)
}
