/**
 * The optional two-person rule ("a publish needs a second admin's approval" — marketing
 * and sales sign-off). With the workspace switch on, publishing from the settings page records a
 * request; another admin (a different actor) approves it, which publishes it, or either side rejects
 * it. Every step is in the audit log. Rolling back stays immediate: it restores a version that was
 * already signed off, and is what one reaches for when a published grid misbehaves.
 *
 * People are told apart by the session's actor (who the sign-in link named: "HubSpot user 123", a
 * CLI-given name…); the API key names nobody, so the API cannot publish while the rule is on.
 */
import type { Clock } from '../clock.js'
import { appendAudit } from '../db/audit-repository.js'
import type { Db } from '../db/database.js'
import { getPublishedGrid } from '../db/grid-repository.js'
import {
  decidePublishRequest,
  getPublishRequest,
  insertPublishRequest,
  listPendingPublishRequests,
  type PublishRequest,
  publishApprovalRequired,
  reopenPublishRequest,
  setPublishApprovalRequired,
  setPublishRequestGrid,
} from '../db/publish-request-repository.js'
import { Conflict, Forbidden, NotFound } from '../errors.js'
import { gridSchema } from '../scoring/index.js'
import { diffGrids } from './grid-diff.js'
import type { GridPublishingService } from './grid-publishing-service.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function createPublishApprovalService(deps: {
  db: Db
  clock: Clock
  publishing: GridPublishingService
}) {
  const { db, clock, publishing } = deps

  /** The request with its readable diff against the version published now. */
  async function view(workspaceId: string, r: PublishRequest) {
    const current = await getPublishedGrid(db, workspaceId)
    const parsed = gridSchema.safeParse(r.definition)
    return {
      id: r.id,
      note: r.note,
      requestedBy: r.requestedBy,
      requestedAt: r.requestedAt.toISOString(),
      status: r.status,
      decidedBy: r.decidedBy,
      decidedAt: r.decidedAt?.toISOString() ?? null,
      changes: parsed.success
        ? diffGrids(current ? gridSchema.parse(current.definition) : null, parsed.data)
        : [],
    }
  }

  async function pending(workspaceId: string, id: string): Promise<PublishRequest> {
    const r = UUID.test(id) ? await getPublishRequest(db, workspaceId, id) : undefined
    if (!r) throw new NotFound(`No publish request ${id} in this workspace`)
    if (r.status !== 'pending')
      throw new Conflict(`This publish request was already ${r.status} by ${r.decidedBy}`, 'already_decided')
    return r
  }

  return {
    required: (workspaceId: string) => publishApprovalRequired(db, workspaceId),

    async setRequired(workspaceId: string, actor: string, on: boolean) {
      if (await setPublishApprovalRequired(db, workspaceId, on)) {
        await appendAudit(db, workspaceId, {
          actor,
          action: on ? 'workspace.publish_approval_enabled' : 'workspace.publish_approval_disabled',
          at: clock.now(),
          details: {},
        })
      }
      return { publishApproval: on }
    },

    /** Records a request to publish this (already validated) definition. */
    async request(workspaceId: string, actor: string, definition: unknown, note?: string) {
      const r = await insertPublishRequest(db, workspaceId, {
        definition,
        note: note ?? null,
        requestedBy: actor,
        now: clock.now(),
      })
      const v = await view(workspaceId, r)
      await appendAudit(db, workspaceId, {
        actor,
        action: 'grid.publish_requested',
        at: r.requestedAt,
        details: { requestId: r.id, note: r.note, changes: v.changes },
      })
      return v
    },

    async list(workspaceId: string) {
      const rows = await listPendingPublishRequests(db, workspaceId)
      return Promise.all(rows.map((r) => view(workspaceId, r)))
    },

    /** A second admin approves: the request's definition is published under the approver's name. */
    async approve(workspaceId: string, actor: string, id: string) {
      const r = await pending(workspaceId, id)
      if (r.requestedBy === actor)
        throw new Forbidden(
          'You asked for this publish: another admin has to approve it (two-person rule)',
          'own_request',
        )
      const claimed = await decidePublishRequest(db, workspaceId, id, {
        status: 'approved',
        by: actor,
        now: clock.now(),
      })
      if (!claimed) throw new Conflict('This publish request was decided a moment ago', 'already_decided')
      let result: Awaited<ReturnType<GridPublishingService['publish']>>
      try {
        result = await publishing.publish(workspaceId, actor, r.definition, r.note ?? undefined, {
          requestId: r.id,
          requestedBy: r.requestedBy,
          approvedBy: actor,
        })
      } catch (err) {
        // Nothing was published: the request waits again rather than looking approved.
        await reopenPublishRequest(db, workspaceId, id)
        throw err
      }
      await setPublishRequestGrid(db, workspaceId, id, result.grid.id)
      await appendAudit(db, workspaceId, {
        actor,
        action: 'grid.publish_approved',
        at: clock.now(),
        details: {
          requestId: r.id,
          requestedBy: r.requestedBy,
          gridId: result.grid.id,
          version: result.grid.version,
        },
      })
      return result
    },

    /** Either admin (the requester withdrawing, or a reviewer declining) closes it unpublished. */
    async reject(workspaceId: string, actor: string, id: string) {
      const r = await pending(workspaceId, id)
      const claimed = await decidePublishRequest(db, workspaceId, id, {
        status: 'rejected',
        by: actor,
        now: clock.now(),
      })
      if (!claimed) throw new Conflict('This publish request was decided a moment ago', 'already_decided')
      await appendAudit(db, workspaceId, {
        actor,
        action: 'grid.publish_rejected',
        at: clock.now(),
        details: { requestId: r.id, requestedBy: r.requestedBy },
      })
      return view(workspaceId, claimed)
    },
  }
}

export type PublishApprovalService = ReturnType<typeof createPublishApprovalService>
