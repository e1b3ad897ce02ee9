/**
 * GET /pipedrive/panel — the person page's JSON panel (panel.ts): the JWT in `token` says which
 * company and user ask; the answer links to the settings page, signed in as that user.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import type { Clock } from '../../clock.js'
import type { Config } from '../../config.js'
import type { Db } from '../../db/database.js'
import type { PipedriveOAuth } from './oauth.js'
import { PanelAuthError, type PanelIdentity, panelError, readPanel, verifyPanelToken } from './panel.js'
import { signPipedriveSignInToken } from './sign-in.js'

export interface PipedrivePanelRouteDeps {
  config: Pick<Config, 'PUBLIC_URL' | 'PIPEDRIVE_CLIENT_SECRET'>
  db: Db
  clock: Clock
  crm: { pipedrive: { oauth: Pick<PipedriveOAuth, 'configured'> } }
}

const panelQuery = z.looseObject({
  token: z.string().max(4096).optional(),
  companyId: z.string().max(40).optional(),
  selectedIds: z.string().max(200).optional(),
  id: z.string().max(40).optional(),
})

const fail = (reply: FastifyReply, status: number, title: string, subtitle: string) =>
  reply.status(status).header('cache-control', 'no-store').send(panelError(title, subtitle))

export async function registerPipedrivePanelRoute(
  app: FastifyInstance,
  deps: PipedrivePanelRouteDeps,
): Promise<void> {
  const { config } = deps
  const configured = deps.crm.pipedrive.oauth.configured()

  app.get('/pipedrive/panel', async (request, reply) => {
    if (!configured || !config.PIPEDRIVE_CLIENT_SECRET) {
      return fail(
        reply,
        503,
        'Leadgrid is not configured',
        'Set PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET on the Leadgrid server.',
      )
    }
    const q = panelQuery.safeParse(request.query)
    if (!q.success) return fail(reply, 400, 'Bad request', 'The panel request is not what Pipedrive sends.')
    let identity: PanelIdentity
    try {
      identity = await verifyPanelToken(
        q.data.token,
        config.PIPEDRIVE_CLIENT_SECRET,
        deps.clock.now(),
        q.data.companyId,
      )
    } catch (err) {
      if (err instanceof PanelAuthError) {
        request.log.warn({ reason: err.reason }, 'Pipedrive panel token refused')
        return fail(reply, 401, 'Not authorised', 'Reload the page; if this persists, reinstall Leadgrid.')
      }
      throw err
    }
    const personId = (q.data.selectedIds ?? q.data.id ?? '').split(',')[0]?.trim() ?? ''
    if (!/^\d{1,20}$/.test(personId))
      return fail(reply, 400, 'No person', 'Open the panel from a person’s page.')
    // The panel's settings link signs this user in to the settings page (5-minute token).
    const signIn = await signPipedriveSignInToken(config.PIPEDRIVE_CLIENT_SECRET, identity, deps.clock.now())
    const settingsUrl = `${config.PUBLIC_URL}/app/pipedrive?token=${signIn}`
    const answer = await readPanel(deps, identity.companyId, personId, settingsUrl)
    if (!answer) {
      return fail(
        reply,
        403,
        'Leadgrid is not installed',
        'Install Leadgrid for this Pipedrive company to see scores.',
      )
    }
    return reply.header('cache-control', 'no-store').send(answer)
  })
}
