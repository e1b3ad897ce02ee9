/**
 * The one dispatcher of the CRM connection jobs, whatever the provider: each job names a connection;
 * the neutral service it calls looks the connection up once and works it through its provider's
 * session (../provider-registry.ts). A connection that no longer exists, or of a provider this
 * version does not know, is logged and its job dropped (retrying would not change that).
 */
import type { Logger } from 'pino'
import { NotFound } from '../errors.js'
import type { JobPayload } from '../jobs/catalog.js'
import type { JobQueue } from '../jobs/queue.js'
import type { CrmServices } from './crm-services.js'
import { ProviderNotRegistered } from './provider-registry.js'

/** What the CRM jobs need: the CRM services, a logger for dropped jobs, the queue to work on. */
export interface CrmWorkerDeps {
  crm: CrmServices
  logger: Pick<Logger, 'warn'>
  queue: Pick<JobQueue, 'work'>
}

type ConnectionPayload = JobPayload<'crm-flush'>
type ConnectionJob = 'crm-flush' | 'crm-process-deliveries' | 'crm-install'

export function crmJobHandlers(
  deps: Pick<CrmWorkerDeps, 'crm' | 'logger'>,
): Record<ConnectionJob, (p: ConnectionPayload) => Promise<void>> & { 'crm-reconcile'(): Promise<void> } {
  const { crm, logger } = deps
  const dropUnknown =
    (job: ConnectionJob, work: (p: ConnectionPayload) => Promise<unknown>) =>
    async (p: ConnectionPayload): Promise<void> => {
      try {
        await work(p)
      } catch (err) {
        if (!(err instanceof NotFound || err instanceof ProviderNotRegistered)) throw err
        logger.warn({ job, connectionId: p.connectionId, reason: err.message }, 'CRM job dropped')
      }
    }
  return {
    'crm-flush': dropUnknown('crm-flush', (p) => crm.flush.flush(p.workspaceId, p.connectionId)),
    'crm-process-deliveries': dropUnknown('crm-process-deliveries', (p) =>
      crm.deliveries.process(p.workspaceId, p.connectionId),
    ),
    'crm-install': dropUnknown('crm-install', (p) => crm.sync.install(p.workspaceId, p.connectionId)),
    /** The 15-minute cron: every active connection, and deliveries a crash left behind. */
    async 'crm-reconcile'() {
      await crm.sync.reconcileAll(crm.providers.names())
      await crm.deliveries.requeueStale()
    },
  }
}

/** Registers the CRM jobs on the queue (ROLE=worker and ROLE=all). */
export async function startCrmWorkers(deps: CrmWorkerDeps): Promise<void> {
  const h = crmJobHandlers(deps)
  for (const name of ['crm-flush', 'crm-process-deliveries', 'crm-install'] as const) {
    await deps.queue.work(name, h[name])
  }
  await deps.queue.work('crm-reconcile', () => h['crm-reconcile']())
}
