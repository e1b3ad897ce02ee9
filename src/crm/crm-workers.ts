/**
 * The connection jobs of the providers registered with the neutral services (Pipedrive today): each
 * handler looks the connection up once and answers `false` when it is not one of theirs, so the
 * HubSpot dispatcher (startHubSpotWorkers' `others`) can hand them its non-HubSpot connections.
 * HubSpot's behaviour is unchanged; when it joins the registry this becomes the only dispatcher.
 */
import type { AppDeps } from '../app-deps.js'
import { findConnection } from '../db/connection-repository.js'
import type { JobPayload } from '../jobs/catalog.js'

type ConnectionPayload = JobPayload<'crm-flush'>
type ConnectionJob = 'crm-flush' | 'crm-process-deliveries' | 'crm-install'

export function crmJobHandlers(
  deps: Pick<AppDeps, 'db' | 'crm'>,
): Record<ConnectionJob, (p: ConnectionPayload) => Promise<boolean>> & { reconcile(): Promise<void> } {
  const { crm } = deps
  const registered = async ({ workspaceId, connectionId }: ConnectionPayload) => {
    const row = await findConnection(deps.db, workspaceId, connectionId)
    return row !== undefined && crm.providers.has(row.provider)
  }
  return {
    async 'crm-flush'(p) {
      if (!(await registered(p))) return false
      await crm.flush.flush(p.workspaceId, p.connectionId)
      return true
    },
    async 'crm-process-deliveries'(p) {
      if (!(await registered(p))) return false
      await crm.deliveries.process(p.workspaceId, p.connectionId)
      return true
    },
    async 'crm-install'(p) {
      if (!(await registered(p))) return false
      await crm.sync.install(p.workspaceId, p.connectionId)
      return true
    },
    /** The registered providers' share of the 15-minute cron, and deliveries a crash left behind. */
    async reconcile() {
      await crm.sync.reconcileAll(crm.providers.names())
      await crm.deliveries.requeueStale()
    },
  }
}
