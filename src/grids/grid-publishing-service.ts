/**
 * What the settings page does to grids, on top of the grid lifecycle (grid-service.ts): publish an
 * edited grid as a new immutable version, roll back (= publish a copy of an earlier version); the
 * grid service records either in the audit log with a readable rule diff, in the publish's own
 * transaction. Also the publish progress: how many contacts still wait to be rescored.
 */

import type { Db } from '../db/database.js'
import { countChunkBacklog } from '../db/rescore-chunk-repository.js'
import { countMarks } from '../db/rescore-mark-repository.js'
import type { GridRow } from '../db/schema.js'
import { countContacts } from '../db/scoring-contact-repository.js'
import type { GridService } from './grid-service.js'

export function createGridPublishingService(deps: { db: Db; grids: GridService }) {
  const { db, grids } = deps

  async function publishDefinition(
    workspaceId: string,
    actor: string,
    definition: unknown,
    note: string | undefined,
    action: 'grid.published' | 'grid.rolled_back',
    extra: Record<string, unknown> = {},
  ): Promise<{ grid: GridRow; changes: string[] }> {
    // createDraft validates with the same schema as the API, and refuses with the paths of the issues.
    const draft = await grids.createDraft(workspaceId, definition, note)
    return grids.publish(workspaceId, draft.id, { actor, action, details: extra })
  }

  return {
    /** `extra` joins the audit details (e.g. the approved request and who asked, two-person rule). */
    publish: (
      workspaceId: string,
      actor: string,
      definition: unknown,
      note?: string,
      extra: Record<string, unknown> = {},
    ) => publishDefinition(workspaceId, actor, definition, note, 'grid.published', extra),

    async rollBack(workspaceId: string, actor: string, gridId: string) {
      const target = await grids.get(workspaceId, gridId)
      return publishDefinition(
        workspaceId,
        actor,
        target.definition,
        `Roll back to version ${target.version}`,
        'grid.rolled_back',
        { restoredVersion: target.version },
      )
    },

    /** Contacts still waiting for a rescore (the publish progress bar) out of all contacts. */
    async progress(workspaceId: string): Promise<{ dirty: number; total: number }> {
      // Waiting = marked for a rescore (contact_rescore_marks, see rescore-mark-repository.ts) or
      // not yet reached by a whole-workspace pass (rescore-chunk-repository.ts). A contact both
      // marked and not yet reached counts twice: capped at the total, the bar only runs late.
      const total = await countContacts(db, workspaceId)
      const [marked, ahead] = await Promise.all([
        countMarks(db, workspaceId),
        countChunkBacklog(db, workspaceId),
      ])
      return { dirty: Math.min(total, marked + ahead), total }
    },
  }
}

export type GridPublishingService = ReturnType<typeof createGridPublishingService>
