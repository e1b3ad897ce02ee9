/**
 * The service under measurement, as production runs it: a fresh scratch database (the Postgres
 * server at DATABASE_URL, dropped at the end, or embedded PGlite in memory), the real runtime
 * (migrations, pg-boss, services), optionally the workers and the HTTP app on a loopback port —
 * plus the set-up the benchmarks share: a workspace, a HubSpot connection pointed at the CRM
 * stand-in, a grid publish (contacts are bulk-loaded by contact-loader.ts).
 */
import { createHmac } from 'node:crypto'
import { createServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { insertInstalledHubSpotConnection } from '../db/bench/connection-seed-repository.js'
import type { DatabaseHandle } from '../db/database.js'
import { openScratchDatabase } from '../db/scratch-database.js'
import { createGridService } from '../grids/grid-service.js'
import { createLogger } from '../logger.js'
import { type Runtime, startRuntime } from '../runtime.js'
import { startWorkers } from '../workers.js'
import { type CreatedWorkspace, createWorkspace } from '../workspaces/workspace-service.js'
import { type BenchMachine, describeMachine } from './bench-machine.js'

export const BENCH_CLIENT_SECRET = 'bench-client-secret'
export const BENCH_APP_ID = '4242'

export interface BenchService {
  runtime: Runtime
  database: DatabaseHandle
  machine: BenchMachine
  workspace: CreatedWorkspace
  /** The HTTP app's base URL when `listen` was asked. */
  baseUrl: string
  app: FastifyInstance | null
  startWorkers(): Promise<void>
  close(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

export async function startBenchService(
  options: { crmApiBase?: string; listen?: boolean; serverUrl?: string } = {},
): Promise<BenchService> {
  const serverUrl = options.serverUrl ?? process.env.DATABASE_URL
  const database = await openScratchDatabase({ serverUrl, prefix: 'leadgrid_bench' })
  const port = options.listen ? await freePort() : 0
  const baseUrl = options.listen ? `http://127.0.0.1:${port}` : ''
  let runtime: Runtime | undefined
  let app: FastifyInstance | null = null
  try {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.connectionString,
      DEMO_DATA: 'false',
      DATA_DIR: './data',
      ENCRYPTION_KEY: 'b'.repeat(64),
      SESSION_SECRET: 'bench-session-secret-that-is-long-enough-0123',
      HUBSPOT_CLIENT_ID: 'bench-client-id',
      HUBSPOT_CLIENT_SECRET: BENCH_CLIENT_SECRET,
      HUBSPOT_APP_ID: BENCH_APP_ID,
      ...(options.crmApiBase ? { HUBSPOT_API_BASE: options.crmApiBase } : {}),
      ...(options.listen ? { PUBLIC_URL: baseUrl } : {}),
    })
    runtime = await startRuntime(config, createLogger('silent'), { database, schedule: false })
    if (options.listen) {
      app = await buildApp(runtime.deps)
      await app.listen({ port, host: '127.0.0.1' })
    }
    const machine = await describeMachine(database)
    const workspace = await createWorkspace(runtime.deps.db, { name: 'Bench', now: new Date() })
    const rt = runtime
    let workers = false
    return {
      runtime: rt,
      database,
      machine,
      workspace,
      baseUrl,
      app,
      async startWorkers() {
        if (workers) return
        workers = true
        await startWorkers(rt.deps)
      },
      async close() {
        await app?.close()
        await rt.close()
      },
    }
  } catch (err) {
    await app?.close()
    if (runtime) await runtime.close()
    else await database.close()
    throw err
  }
}

/** An active HubSpot connection for `portalId`, installed as far as Leadgrid cares (provisioned, backfilled). */
export async function seedHubSpotConnection(service: BenchService, portalId: number): Promise<string> {
  const { db, secretBox } = service.runtime.deps
  return insertInstalledHubSpotConnection(db, {
    workspaceId: service.workspace.workspaceId,
    portalId,
    accessTokenEnc: secretBox.encrypt('bench-access-token'),
    refreshTokenEnc: secretBox.encrypt('bench-refresh-token'),
  })
}

/** HubSpot's v3 signature over the public URI, the raw body and the timestamp. */
export function signHubSpotV3(publicUrl: string, path: string, body: string, secret = BENCH_CLIENT_SECRET) {
  const timestamp = String(Date.now())
  const signature = createHmac('sha256', secret)
    .update(`POST${publicUrl}${path}${body}${timestamp}`)
    .digest('base64')
  return {
    'content-type': 'application/json',
    'x-hubspot-signature-v3': signature,
    'x-hubspot-request-timestamp': timestamp,
  }
}

/**
 * True while the workspace has contacts waiting for a rescore. Asked through the rescore service
 * (the catch-up job's own question), not the table, so it stays right wherever dirty marks live.
 */
export async function hasDirtyContacts(service: BenchService): Promise<boolean> {
  const workspaces = await service.runtime.deps.rescore.workspacesWithDirtyContacts()
  return workspaces.includes(service.workspace.workspaceId)
}

/**
 * Publishes a new version of the workspace's grid through the grid service (as the settings page
 * does): `change` edits a copy of the published definition. Every contact is then due a rescore.
 */
export async function publishGridChange(
  service: BenchService,
  change: (definition: Record<string, unknown>) => void,
  note: string,
): Promise<string> {
  const grids = createGridService(service.runtime.deps)
  const current = await grids.published(service.workspace.workspaceId)
  if (!current) throw new Error('the bench workspace has no published grid')
  const definition = structuredClone(current.definition) as Record<string, unknown>
  change(definition)
  const draft = await grids.createDraft(service.workspace.workspaceId, definition, note)
  await grids.publish(service.workspace.workspaceId, draft.id, { actor: 'bench' })
  return draft.id
}

/** The Starter grid's whitepaper rule worth `points` instead of 25: a change every score feels. */
export function setWhitepaperPoints(points: number) {
  return (definition: Record<string, unknown>) => {
    const rules = definition['rules'] as { id: string; points: number }[]
    const rule = rules.find((r) => r.id === 'whitepaper')
    if (!rule) throw new Error('the grid has no whitepaper rule to change')
    rule.points = points
  }
}
