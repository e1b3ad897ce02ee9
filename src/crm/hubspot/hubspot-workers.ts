/**
 * The HubSpot job handlers. The connection jobs of the catalog (`crm-flush`, `crm-process-deliveries`,
 * `crm-install`) are shared by every provider: each handler answers `false` when the connection is not
 * a HubSpot one, so a dispatcher can try the providers in turn.
 */
import type { AppDeps } from '../../app-deps.js'
import type { JobPayload } from '../../jobs/catalog.js'
import { hubspotServices } from './hubspot-services.js'

type Deps = Pick<
  AppDeps,
  'config' | 'db' | 'clock' | 'logger' | 'queue' | 'secretBox' | 'sessionSecret' | 'ingestion'
>
type ConnectionPayload = JobPayload<'crm-flush'>

export function hubspotJobHandlers(deps: Deps) {
  const hs = hubspotServices(deps)
  const isHubSpot = async ({ workspaceId, connectionId }: ConnectionPayload) => {
    const row = await deps.db
      .selectFrom('connections')
      .select('provider')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', connectionId)
      .executeTakeFirst()
    return row?.provider === 'hubspot'
  }
  return {
    async 'crm-flush'(p: ConnectionPayload): Promise<boolean> {
      if (!(await isHubSpot(p))) return false
      await hs.sync.flush(p.workspaceId, p.connectionId)
      return true
    },
    async 'crm-process-deliveries'(p: ConnectionPayload): Promise<boolean> {
      if (!(await isHubSpot(p))) return false
      await hs.webhooks.process(p.workspaceId, p.connectionId)
      return true
    },
    async 'crm-install'(p: ConnectionPayload): Promise<boolean> {
      if (!(await isHubSpot(p))) return false
      await hs.sync.install(p.workspaceId, p.connectionId)
      return true
    },
    /** The 15-minute cron: every active HubSpot connection. */
    async 'crm-reconcile'(): Promise<void> {
      await hs.sync.reconcileAll()
    },
  }
}

/**
 * Registers the HubSpot handlers on the queue. `others` are the other providers' handlers for the
 * same shared jobs (Pipedrive), tried when a connection is not HubSpot's.
 */
export async function startHubSpotWorkers(
  deps: Deps,
  others: Partial<
    Record<'crm-flush' | 'crm-process-deliveries' | 'crm-install', (p: ConnectionPayload) => Promise<boolean>>
  > = {},
  alsoReconcile: () => Promise<void> = async () => {},
): Promise<void> {
  const h = hubspotJobHandlers(deps)
  for (const name of ['crm-flush', 'crm-process-deliveries', 'crm-install'] as const) {
    await deps.queue.work(name, async (p) => {
      if (await h[name](p)) return
      if (await others[name]?.(p)) return
      deps.logger.warn(
        { job: name, connectionId: p.connectionId },
        'no provider handles this connection; job dropped',
      )
    })
  }
  await deps.queue.work('crm-reconcile', async () => {
    await h['crm-reconcile']()
    await alsoReconcile()
  })
}
