/**
 * The worker side: which handler works which job. ROLE=worker and ROLE=all run these. Beside the
 * composition root because it hands the services runtime.ts built to the job queue.
 */
import type { AppDeps } from './app-deps.js'
import { startCrmWorkers } from './crm/crm-workers.js'

export async function startWorkers(deps: AppDeps): Promise<void> {
  const { queue, rescore, logger } = deps

  await queue.work('rescore-dirty', async ({ workspaceId }) => {
    const n = await rescore.rescoreDirty(workspaceId)
    if (n > 0) logger.debug({ workspaceId, contacts: n }, 'rescored')
  })

  await queue.work('rescore-catch-up', async () => {
    for (const workspaceId of await rescore.workspacesWithDirtyContacts()) {
      await queue.send('rescore-dirty', { workspaceId })
    }
  })

  await queue.work('rescore-sweep', async () => {
    const workspaces = await rescore.markAllForSweep()
    logger.info({ workspaces: workspaces.length }, 'daily sweep: every contact marked for rescoring')
    for (const workspaceId of workspaces) await queue.send('rescore-dirty', { workspaceId })
  })

  // CRM connection jobs (crm-flush, crm-process-deliveries, crm-install, crm-reconcile), every provider.
  await startCrmWorkers(deps)

  // After a crash or a deploy, contacts marked dirty before the stop are rescored now rather than
  // at the next catch-up tick.
  await queue.send('rescore-catch-up', {})
}
