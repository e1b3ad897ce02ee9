/**
 * Every job Leadgrid runs, with its payload schema and queue policy. Producers and handlers both
 * go through this catalog, so a payload is validated when it is sent and again when it is worked.
 */
import { z } from 'zod'

const workspaceJob = z.object({ workspaceId: z.uuid() })
const connectionJob = z.object({ workspaceId: z.uuid(), connectionId: z.uuid() })

export const jobCatalog = {
  /**
   * Rescore the workspace's dirty contacts. `short`: one waiting job per workspace debounces bursts;
   * a "come back shortly" job waiting on busy contacts is brought forward by new work.
   */
  'rescore-dirty': {
    payload: workspaceJob,
    policy: 'short',
    singletonBy: 'workspaceId',
    sendNowPromotes: true,
  },
  /** Safety net: finds workspaces with dirty contacts whose rescore job was never sent (crash). */
  'rescore-catch-up': { payload: z.object({}), policy: 'singleton', cron: '* * * * *' },
  /** Daily: every contact is rescored so windows, decay and inactivity stay true. */
  'rescore-sweep': { payload: z.object({}), policy: 'singleton', cron: '17 3 * * *' },
  /** Write pending outbox rows of one connection to its CRM (debounced per connection). */
  'crm-flush': { payload: connectionJob, policy: 'short', singletonBy: 'connectionId' },
  /** Process stored CRM webhook deliveries of one connection. */
  'crm-process-deliveries': { payload: connectionJob, policy: 'short', singletonBy: 'connectionId' },
  /** Provision CRM properties/fields, then backfill contacts (resumable). */
  'crm-install': { payload: connectionJob, policy: 'singleton', singletonBy: 'connectionId' },
  /** Read contacts changed since the last pass, so nothing depends on every webhook arriving. */
  'crm-reconcile': { payload: z.object({}), policy: 'singleton', cron: '*/15 * * * *' },
} as const satisfies Record<string, JobDefinition>

export interface JobDefinition {
  payload: z.ZodType<object>
  policy: 'standard' | 'short' | 'singleton' | 'stately'
  /** The payload field that makes the job's singleton key (one job per workspace/connection). */
  singletonBy?: string
  /**
   * A send to run now brings a delayed waiting job of the same key forward instead of being folded
   * into it (only where the delay is a "come back later", never a backoff the CRM asked for).
   */
  sendNowPromotes?: boolean
  /** A cron schedule (UTC) for periodic jobs. */
  cron?: string
}

export type JobName = keyof typeof jobCatalog
export type JobPayload<N extends JobName> = z.infer<(typeof jobCatalog)[N]['payload']>
