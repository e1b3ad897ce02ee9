/**
 * A session's deal outcomes: the deals whose stage changed, read with their pipelines' stages and
 * their contacts, become won/lost outcomes for those contacts (outcomes.ts says how).
 */
import type { Logger } from 'pino'
import type { CrmConnection, CrmOutcome } from '../types.js'
import type { HubSpotOutcomeReads } from './client-deals.js'
import { HubSpotApiError } from './errors.js'
import { canReadDeals, classifyDealStages, outcomesFromDeal, type StageClass } from './outcomes.js'

export interface DealOutcomeDeps {
  connection: Pick<CrmConnection, 'id' | 'account_id' | 'scopes'>
  deals: HubSpotOutcomeReads
  logger: Pick<Logger, 'info' | 'warn'>
}

/**
 * Won/lost outcomes of the deals whose stage changed, for their associated contacts. Installs that
 * have not granted the deals scope (made before Leadgrid asked for it) skip them until re-installed.
 */
export function createDealOutcomes(deps: DealOutcomeDeps): (dealIds: string[]) => Promise<CrmOutcome[]> {
  const { connection, deals, logger } = deps
  // Stage id → won/lost/open, read once per session (one delivery run, one reconciliation pass):
  // pipelines rarely change, and a stage added since is read by the next run.
  let stages: Promise<Map<string, StageClass>> | undefined
  const dealStages = () => {
    stages ??= deals.dealPipelines().then(classifyDealStages)
    stages.catch(() => {
      stages = undefined
    })
    return stages
  }

  async function closedDealOutcomes(dealIds: string[]): Promise<CrmOutcome[]> {
    const classes = await dealStages()
    const read = await deals.batchReadDeals(dealIds)
    const closed = read.filter((d) => {
      const c = classes.get(d.properties['dealstage'] ?? '')
      return c === 'won' || c === 'lost'
    })
    if (closed.length === 0) return []
    const contactsOf = await deals.dealContacts(closed.map((d) => d.id))
    return closed.flatMap((d) =>
      outcomesFromDeal(connection.account_id, d, contactsOf.get(d.id) ?? [], classes),
    )
  }

  return async (dealIds) => {
    if (dealIds.length === 0) return []
    if (!canReadDeals(connection)) {
      logger.info(
        { connectionId: connection.id, deals: dealIds.length },
        'HubSpot deal events ignored: the deals scope is not granted (re-install to record deal outcomes)',
      )
      return []
    }
    try {
      return await closedDealOutcomes(dealIds)
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
}
