/**
 * Bulk-loads generated contacts with their identities and events (and optionally their current
 * scores, computed here with the workspace's published grid) for a benchmark's set-up, through the
 * benchmark load repository: nothing goes through the code being measured.
 */
import { randomUUID } from 'node:crypto'
import { createContactLoadRepository } from '../db/bench/contact-load-repository.js'
import type { LoadMethod } from '../db/bench/copy-rows.js'
import { type CompiledGrid, compileGrid, evaluate, gridSchema, prepareEvents } from '../scoring/index.js'
import type { BenchContact } from './bench-contacts.js'
import type { BenchService } from './bench-service.js'

export interface LoadOptions {
  /** Also store a current score per contact, computed with the workspace's published grid. */
  withScores?: boolean
  /** Also record the contact's HubSpot id (the write-back needs it). */
  withHubSpotIds?: boolean
}

/** Returns the contact ids in input order; `method` says how the rows were loaded. */
export function createContactLoader(service: BenchService, options: LoadOptions = {}) {
  const repository = createContactLoadRepository(service.database, service.workspace.workspaceId)
  let grid: { id: string; compiled: CompiledGrid } | undefined
  const publishedGrid = async () => {
    if (!grid) {
      const row = await repository.publishedGrid()
      grid = { id: row.id, compiled: compileGrid(gridSchema.parse(row.definition)) }
    }
    return grid
  }
  return {
    get method(): LoadMethod {
      return repository.method
    },
    get copyRefusal() {
      return repository.copyRefusal
    },
    async load(contacts: BenchContact[]): Promise<string[]> {
      const now = new Date()
      const ids = contacts.map(() => randomUUID())
      await repository.loadContacts(
        contacts.map((c, i) => ({ ...c, id: ids[i]! })),
        { withHubSpotIds: options.withHubSpotIds },
      )
      if (options.withScores) {
        const g = await publishedGrid()
        const scores = contacts.map((c, i) => {
          const r = evaluate(
            g.compiled,
            { profile: c.profile as never, createdAt: c.createdAt, events: prepareEvents(c.events) },
            now.getTime(),
          )
          return { ...r, contactId: ids[i]!, gridId: g.id, computedAt: now }
        })
        await repository.loadScores(scores)
      }
      return ids
    },
  }
}
