/**
 * Pipedrive's HTTP surface, one file per area:
 *  - the install, its callback, the uninstall and the install link (routes-oauth.ts);
 *  - webhook deliveries, POST /webhooks/pipedrive/:connectionId (routes-webhooks.ts);
 *  - the person page's JSON panel, GET /pipedrive/panel (routes-panel.ts).
 * Without PIPEDRIVE_CLIENT_ID / PIPEDRIVE_CLIENT_SECRET the install routes answer 503 naming them,
 * and the panel says so in Pipedrive's own error shape.
 */
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'
import {
  type PipedriveOAuthRouteDeps,
  registerPipedriveInstallLinkRoute,
  registerPipedriveOAuthRoutes,
} from './routes-oauth.js'
import { type PipedrivePanelRouteDeps, registerPipedrivePanelRoute } from './routes-panel.js'
import { type PipedriveWebhookRouteDeps, registerPipedriveWebhookRoute } from './routes-webhooks.js'

export type PipedriveRouteDeps = PipedriveOAuthRouteDeps & PipedriveWebhookRouteDeps & PipedrivePanelRouteDeps

export function pipedriveRoutes(deps: PipedriveRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie)
    await registerPipedriveOAuthRoutes(app, deps)
    await registerPipedriveWebhookRoute(app, deps)
    await registerPipedrivePanelRoute(app, deps)
  }
}

/** Under /api/v1 (workspace API key): an install link that attaches Pipedrive to this workspace. */
export function pipedriveApiRoutes(deps: Pick<PipedriveOAuthRouteDeps, 'config' | 'crm'>) {
  return async function register(app: FastifyInstance): Promise<void> {
    await registerPipedriveInstallLinkRoute(app, deps)
  }
}
