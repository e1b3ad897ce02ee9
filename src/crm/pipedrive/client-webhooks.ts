/**
 * The app's own webhooks: listing, creating (v2 deliveries) and deleting them
 * (v1 webhooks, https://developers.pipedrive.com/docs/api/v1/Webhooks).
 */
import { WebhooksApiFp } from 'pipedrive/v1'
import type { PipedriveRequest } from './client-request.js'
import { PipedriveApiError } from './errors.js'

/** A webhook as Pipedrive lists it. */
export interface PipedriveWebhookSubscription {
  id: number
  event_action: string
  event_object: string
  subscription_url: string
  version?: string
}

export function webhooksCalls({ call, v1 }: PipedriveRequest) {
  return {
    async listWebhooks(): Promise<PipedriveWebhookSubscription[]> {
      const body = (await call('list webhooks', 'list', () => WebhooksApiFp(v1).getWebhooks())) as {
        data?: PipedriveWebhookSubscription[]
      } | null
      return body?.data ?? []
    },

    async addWebhook(hook: {
      subscription_url: string
      event_action: 'create' | 'change' | 'delete' | '*'
      event_object: 'person' | 'activity' | 'deal'
      name: string
      http_auth_user: string
      http_auth_password: string
      user_id?: number
    }): Promise<PipedriveWebhookSubscription> {
      const body = (await call('create webhook', 'write', () =>
        WebhooksApiFp(v1).addWebhook({ ...hook, version: '2.0' } as never),
      )) as { data?: PipedriveWebhookSubscription } | null
      if (!body?.data?.id)
        throw new PipedriveApiError('create webhook: no id in the answer', 200, false, undefined)
      return body.data
    },

    async deleteWebhook(id: number): Promise<void> {
      await call('delete webhook', 'write', () => WebhooksApiFp(v1).deleteWebhook(id), {
        notFoundAsNull: true,
      })
    },
  }
}

export type WebhooksCalls = ReturnType<typeof webhooksCalls>
