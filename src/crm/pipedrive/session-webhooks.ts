/**
 * The webhooks a connection registers for itself: app webhooks v2 (person *, activity *, deal change)
 * to /webhooks/pipedrive/:connectionId with random per-connection Basic credentials, sealed in
 * settings `webhookAuthEnc`, filtered by the visibility of the user who installed.
 */
import { randomBytes } from 'node:crypto'
import type { SecretBox } from '../../crypto/secret-box.js'
import type { CrmConnection, CrmSession } from '../types.js'
import type { WebhooksCalls } from './client-webhooks.js'
import type { PipedriveConnectionSettings } from './provisioning.js'
import { type WebhookCredentials, webhookCredentials } from './webhooks.js'

/** The webhooks Leadgrid registers for each connection (its inputs: persons, activities, deals). */
export const PIPEDRIVE_SUBSCRIPTIONS = [
  { event_object: 'person', event_action: '*' },
  { event_object: 'activity', event_action: '*' },
  { event_object: 'deal', event_action: 'change' },
] as const

type Subscription = (typeof PIPEDRIVE_SUBSCRIPTIONS)[number]

export function webhookUrl(publicUrl: string, connectionId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/pipedrive/${connectionId}`
}

export interface WebhookSubscriptionsDeps {
  client: WebhooksCalls
  connection: CrmConnection
  secretBox: SecretBox
  publicUrl: string
}

export function webhookSubscriptions(deps: WebhookSubscriptionsDeps) {
  const { client, connection, secretBox } = deps
  const url = webhookUrl(deps.publicUrl, connection.id)
  const userId = (connection.settings as PipedriveConnectionSettings).pipedriveUserId

  const register = (s: Subscription, creds: WebhookCredentials) =>
    client.addWebhook({
      subscription_url: url,
      event_object: s.event_object,
      event_action: s.event_action,
      name: `Leadgrid ${s.event_object}`,
      http_auth_user: creds.user,
      http_auth_password: creds.password,
      ...(typeof userId === 'number' ? { user_id: userId } : {}),
    })

  /** Every webhook of this connection's URL goes, so Pipedrive stops sending to it. */
  async function removeOurs(): Promise<void> {
    for (const hook of await client.listWebhooks()) {
      if (hook.subscription_url === url) await client.deleteWebhook(hook.id)
    }
  }

  const subscribe: NonNullable<CrmSession['subscribe']> = async () => {
    // New credentials each time: webhooks left from an earlier install carry old ones, so they go.
    await removeOurs()
    const creds = {
      user: `leadgrid-${randomBytes(6).toString('hex')}`,
      password: randomBytes(24).toString('base64url'),
    }
    const ids: number[] = []
    for (const s of PIPEDRIVE_SUBSCRIPTIONS) ids.push((await register(s, creds)).id)
    return {
      report: { webhooks: ids, url },
      settings: { webhookAuthEnc: secretBox.encrypt(`${creds.user}:${creds.password}`) },
    }
  }

  const ensureSubscriptions: NonNullable<CrmSession['ensureSubscriptions']> = async () => {
    const creds = webhookCredentials(connection, secretBox)
    // Nothing registered yet (provisioning not done): the install job subscribes, not this.
    if (!creds) return { recreated: [] }
    const ours = (await client.listWebhooks()).filter((h) => h.subscription_url === url)
    const recreated: string[] = []
    for (const s of PIPEDRIVE_SUBSCRIPTIONS) {
      if (ours.some((h) => h.event_object === s.event_object && h.event_action === s.event_action)) continue
      await register(s, creds)
      recreated.push(`${s.event_action}.${s.event_object}`)
    }
    return { recreated }
  }

  return { subscribe, ensureSubscriptions, removeOurs }
}
