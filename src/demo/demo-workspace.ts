/**
 * First run: a demo workspace with the Starter grid and a few hundred sample contacts, so a fresh
 * clone shows scores immediately. Its API key is kept under DATA_DIR (local, embedded mode only)
 * so every start can print it; a production deployment never creates one.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'
import { anyWorkspaceExists } from '../db/workspace-repository.js'
import type { IngestionService } from '../events/ingestion-service.js'
import { createWorkspace } from '../workspaces/workspace-service.js'
import { sampleContacts } from './sample-contacts.js'

export interface DemoCredentials {
  workspaceId: string
  apiKey: string
  publicKey: string
}

export interface DemoDeps {
  db: Db
  clock: Clock
  ingestion: Pick<IngestionService, 'ingestContacts' | 'ingestEvents'>
  logger: Pick<Logger, 'info'>
  config: Pick<Config, 'DATA_DIR'>
}

export async function ensureDemoWorkspace(
  deps: DemoDeps,
  contactCount = 300,
): Promise<DemoCredentials | null> {
  const file = join(deps.config.DATA_DIR, 'demo-workspace.json')
  if (await anyWorkspaceExists(deps.db))
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials) : null
  const now = deps.clock.now()
  const created = await createWorkspace(deps.db, { name: 'Demo workspace', isDemo: true, now })
  writeFileSync(file, JSON.stringify(created, null, 2), { mode: 0o600 })
  const samples = sampleContacts(contactCount, now)
  await deps.ingestion.ingestContacts(
    created.workspaceId,
    samples.map((s) => s.contact),
    'demo',
  )
  const events = samples.flatMap((s) => s.events)
  for (let i = 0; i < events.length; i += 1000) {
    await deps.ingestion.ingestEvents(created.workspaceId, events.slice(i, i + 1000), 'demo')
  }
  deps.logger.info(
    { workspaceId: created.workspaceId, contacts: contactCount, events: events.length },
    'demo workspace created',
  )
  return created
}
