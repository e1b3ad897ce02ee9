/**
 * Pipedrive behind Leadgrid's CRM contract (../types.ts): the provider-neutral services (connections,
 * outbox flush, install/backfill/reconcile, deliveries) call this and never a Pipedrive API directly.
 *
 * - provision: Leadgrid's person fields, matched by name and type, created (or given their missing
 *   options) only when absent; their codes and option ids go to settings `pipedriveFields`.
 * - subscribe: app webhooks v2 (person *, activity *, deal change) to /webhooks/pipedrive/:connectionId
 *   with random per-connection Basic credentials, sealed in settings `webhookAuthEnc`.
 * - contactsPage / changedSince: v2 persons, 500 a page, cursor; changedSince by `updated_since`.
 * - writeBatch: one PATCH per person (Pipedrive has no batch update) with only the given custom_fields;
 *   a deleted person is a refused item. Batches are of one, so a spent daily budget stops the flush
 *   exactly where it was and everything already written is recorded.
 * - interpretDeliveries: what stored webhook deliveries mean, reading the persons they name.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../../clock.js'
import type { SecretBox } from '../../crypto/secret-box.js'
import type { ContactUpsert, EventInput } from '../../events/ingestion-schemas.js'
import type {
  CrmConnection,
  CrmDeliveryEffects,
  CrmOutcome,
  CrmPage,
  CrmProvider,
  CrmSession,
  CrmTokenGrant,
  CrmWriteItem,
  CrmWriteResult,
} from '../types.js'
import { createPipedriveClient, type PipedriveClient, type PipedrivePerson } from './client.js'
import { PipedriveApiError, PipedriveAuthError } from './errors.js'
import { dealOutcome, eventsFromActivity, type PipedriveActivity, profileFromPerson } from './mapping.js'
import type { PipedriveOAuth } from './oauth.js'
import {
  fieldMapOf,
  LEADGRID_PERSON_FIELDS,
  optionIds,
  ownFieldCodes,
  type PipedriveFieldMap,
  pipedriveWriteBackMapping,
  planPersonFields,
} from './provisioning.js'
import type { PipedriveRateLimits } from './rate-limits.js'
import { classifyDelivery, parsePipedriveWebhook, webhookInstant } from './webhooks.js'

/** The webhooks Leadgrid registers for each connection (its inputs: persons, activities, deals). */
export const PIPEDRIVE_SUBSCRIPTIONS = [
  { event_object: 'person', event_action: '*' },
  { event_object: 'activity', event_action: '*' },
  { event_object: 'deal', event_action: 'change' },
] as const

/** What the connection's settings hold for Pipedrive, besides the field map. */
export interface PipedriveConnectionSettings {
  pipedriveFields?: PipedriveFieldMap
  /** `user:password` of the webhooks' Basic auth, sealed with the secret box. */
  webhookAuthEnc?: string
  /** The user who authorized the install: webhooks are filtered by that user's visibility. */
  pipedriveUserId?: number
}

export interface PipedriveProviderDeps {
  oauth: PipedriveOAuth
  limits: PipedriveRateLimits
  secretBox: SecretBox
  clock: Clock
  publicUrl: string
}

export function webhookUrl(publicUrl: string, connectionId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/pipedrive/${connectionId}`
}

/** The webhook Basic credentials of a connection, unsealed, or null when none were registered. */
export function webhookCredentials(
  connection: Pick<CrmConnection, 'settings'>,
  secretBox: SecretBox,
): { user: string; password: string } | null {
  const sealed = (connection.settings as PipedriveConnectionSettings).webhookAuthEnc
  if (typeof sealed !== 'string') return null
  const plain = secretBox.decrypt(sealed)
  const at = plain.indexOf(':')
  return at > 0 ? { user: plain.slice(0, at), password: plain.slice(at + 1) } : null
}

function personUpsert(person: PipedrivePerson, own: ReadonlySet<string>): ContactUpsert {
  const profile = profileFromPerson(person, own)
  const email = typeof profile.email === 'string' ? profile.email : undefined
  const created = person.add_time ? new Date(person.add_time) : null
  return {
    contact: { pipedriveId: String(person.id), ...(email ? { email } : {}) },
    properties: profile as ContactUpsert['properties'],
    ...(created && !Number.isNaN(created.getTime()) ? { createdAt: created.toISOString() } : {}),
  }
}

function newestUpdate(persons: PipedrivePerson[]): Date | null {
  let newest: number | null = null
  for (const p of persons) {
    const t = p.update_time ? Date.parse(p.update_time) : Number.NaN
    if (Number.isFinite(t)) newest = newest === null ? t : Math.max(newest, t)
  }
  return newest === null ? null : new Date(newest)
}

export function createPipedriveProvider(deps: PipedriveProviderDeps): CrmProvider {
  const { oauth, limits, secretBox, clock } = deps

  function open(connection: CrmConnection, accessToken: () => Promise<string>): CrmSession {
    if (!connection.api_base) {
      throw new PipedriveApiError(
        'This Pipedrive connection has no API domain stored; reinstall the app',
        undefined,
        false,
        undefined,
      )
    }
    const companyId = connection.account_id
    const client: PipedriveClient = createPipedriveClient({
      companyId,
      apiDomain: connection.api_base,
      accessToken,
      limits,
    })
    const fields = () => fieldMapOf(connection)

    function page(persons: PipedrivePerson[], next: string | null): CrmPage {
      const own = ownFieldCodes(fields())
      return { contacts: persons.map((p) => personUpsert(p, own)), events: [], read: persons.length, next }
    }

    return {
      async provision() {
        const existing = await client.listPersonFields()
        const plan = planPersonFields(existing)
        const map: PipedriveFieldMap = { ...plan.found }
        const created: string[] = []
        for (const def of plan.missing) {
          const field = await client.addPersonField({
            field_name: def.name,
            field_type: def.type,
            ...(def.options ? { options: def.options.map((label) => ({ label })) } : {}),
          })
          map[def.key] = {
            code: field.field_code,
            ...(def.options ? { options: optionIds(field) } : {}),
          }
          created.push(def.name)
        }
        const optionsAdded: string[] = []
        for (const missing of plan.missingOptions) {
          const options = await client.addPersonFieldOptions(missing.code, missing.labels)
          const entry = map[missing.key]
          if (entry) entry.options = { ...entry.options, ...optionIds({ options }) }
          optionsAdded.push(`${missing.key}: ${missing.labels.join(', ')}`)
        }
        return {
          report: {
            fieldsCreated: created,
            fieldsReused: LEADGRID_PERSON_FIELDS.filter((d) => plan.found[d.key]).map((d) => d.name),
            optionsAdded,
            conflicts: plan.conflicts,
          },
          settings: { pipedriveFields: map },
        }
      },

      async subscribe() {
        const url = webhookUrl(deps.publicUrl, connection.id)
        // New credentials each time: webhooks left from an earlier install carry old ones, so they go.
        for (const hook of await client.listWebhooks()) {
          if (hook.subscription_url === url) await client.deleteWebhook(hook.id)
        }
        const user = `leadgrid-${randomBytes(6).toString('hex')}`
        const password = randomBytes(24).toString('base64url')
        const userId = (connection.settings as PipedriveConnectionSettings).pipedriveUserId
        const ids: number[] = []
        for (const s of PIPEDRIVE_SUBSCRIPTIONS) {
          const hook = await client.addWebhook({
            subscription_url: url,
            event_object: s.event_object,
            event_action: s.event_action,
            name: `Leadgrid ${s.event_object}`,
            http_auth_user: user,
            http_auth_password: password,
            ...(typeof userId === 'number' ? { user_id: userId } : {}),
          })
          ids.push(hook.id)
        }
        return {
          report: { webhooks: ids, url },
          settings: { webhookAuthEnc: secretBox.encrypt(`${user}:${password}`) },
        }
      },

      async ensureSubscriptions() {
        const creds = webhookCredentials(connection, secretBox)
        // Nothing registered yet (provisioning not done): the install job subscribes, not this.
        if (!creds) return { recreated: [] }
        const url = webhookUrl(deps.publicUrl, connection.id)
        const ours = (await client.listWebhooks()).filter((h) => h.subscription_url === url)
        const userId = (connection.settings as PipedriveConnectionSettings).pipedriveUserId
        const recreated: string[] = []
        for (const s of PIPEDRIVE_SUBSCRIPTIONS) {
          if (ours.some((h) => h.event_object === s.event_object && h.event_action === s.event_action))
            continue
          await client.addWebhook({
            subscription_url: url,
            event_object: s.event_object,
            event_action: s.event_action,
            name: `Leadgrid ${s.event_object}`,
            http_auth_user: creds.user,
            http_auth_password: creds.password,
            ...(typeof userId === 'number' ? { user_id: userId } : {}),
          })
          recreated.push(`${s.event_action}.${s.event_object}`)
        }
        return { recreated }
      },

      async contactsPage(cursor) {
        const res = await client.listPersons(cursor ? { cursor } : {})
        return page(res.persons, res.nextCursor)
      },

      async changedSince(since, cursor) {
        const res = await client.listPersons({
          updatedSince: since.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          ...(cursor ? { cursor } : {}),
        })
        return { ...page(res.persons, res.nextCursor), newest: newestUpdate(res.persons) }
      },

      async writeBatch(items: CrmWriteItem[]): Promise<CrmWriteResult> {
        const written: CrmWriteItem[] = []
        const refused: CrmWriteResult['refused'] = []
        for (const item of items) {
          const id = Number(item.crmId)
          if (!Number.isSafeInteger(id) || id <= 0) {
            refused.push({ items: [item], message: `not a Pipedrive person id: ${item.crmId}` })
            continue
          }
          const found = await client.updatePersonFields(id, item.properties)
          if (found) written.push(item)
          else refused.push({ items: [item], message: `Pipedrive person ${id} no longer exists` })
        }
        return { written, refused }
      },

      async interpretDeliveries(payloads) {
        const own = ownFieldCodes(fields())
        const effects: CrmDeliveryEffects = { contacts: [], events: [], merges: [], erased: [], outcomes: [] }
        const toRead = new Set<string>()
        const erased = new Set<string>()
        const seenOutcomes = new Set<string>()
        for (const raw of payloads) {
          const parsed = parsePipedriveWebhook(raw)
          if (!parsed.ok) continue // stored only after parsing: cannot happen, and nothing to do if it did
          const w = parsed.delivery
          if (w.meta.company_id !== companyId) continue
          const change = classifyDelivery(w, own)
          switch (change.kind) {
            case 'person.upsert':
              if (w.meta.merged_from_id) effects.merges.push([w.meta.merged_from_id, change.personId])
              toRead.add(change.personId)
              erased.delete(change.personId)
              break
            case 'person.merged':
              // The merged-away id now names the survivor; the survivor's change event follows.
              effects.merges.push([change.personId, change.mergedInto])
              toRead.add(change.mergedInto)
              break
            case 'person.delete':
              erased.add(change.personId)
              toRead.delete(change.personId)
              break
            case 'activity': {
              const at = webhookInstant(w) ? new Date(webhookInstant(w)!) : clock.now()
              if (w.data) {
                effects.events.push(
                  ...(eventsFromActivity(
                    companyId,
                    w.data as unknown as PipedriveActivity,
                    at,
                  ) as EventInput[]),
                )
              }
              break
            }
            case 'deal': {
              const outcome = dealOutcome(w.data, w.previous)
              if (!outcome) break
              const persons = new Set<string>()
              if (outcome.personId) persons.add(outcome.personId)
              const participants = await client.listPersons({ dealId: Number(change.dealId) })
              for (const p of participants.persons) persons.add(String(p.id))
              const occurredAt = outcome.occurredAt ?? webhookInstant(w) ?? clock.now().toISOString()
              for (const crmId of persons) {
                const o: CrmOutcome = {
                  crmId,
                  kind: outcome.kind,
                  occurredAt,
                  sourceKey: `pd:${companyId}:deal:${change.dealId}:${outcome.kind}:${crmId}`,
                }
                if (seenOutcomes.has(o.sourceKey)) continue
                seenOutcomes.add(o.sourceKey)
                effects.outcomes.push(o)
              }
              break
            }
            case 'ignored':
              break
          }
        }
        // Persons are read as they are now (the delivery carries only "crucial information").
        for (const id of toRead) {
          const person = await client.getPerson(Number(id))
          if (person) effects.contacts.push(personUpsert(person, own))
          else erased.add(id) // deleted since the delivery: treated as the delete that follows
        }
        effects.erased = [...erased]
        return effects
      },

      async uninstall() {
        // Leadgrid's own disconnect removes the webhooks it registered, so Pipedrive stops sending;
        // the connection service then revokes every user's refresh token (`revokeRefreshToken`),
        // which is what marks the app uninstalled on Pipedrive's side.
        const url = webhookUrl(deps.publicUrl, connection.id)
        try {
          for (const hook of await client.listWebhooks()) {
            if (hook.subscription_url === url) await client.deleteWebhook(hook.id)
          }
        } catch (err) {
          // A spent daily budget must not keep a customer connected: deliveries to an uninstalled
          // connection are dropped anyway, and the webhooks go when the user uninstalls in Pipedrive.
          if (!(err instanceof PipedriveApiError && err.dailyBudgetSpent)) throw err
        }
      },
    }
  }

  return {
    name: 'pipedrive',
    identityKind: 'pipedrive',
    // No batch endpoint: one PATCH per person, and one person per batch (see the header).
    writeBatchSize: 1,
    writeBack: pipedriveWriteBackMapping,
    async refreshTokens(_connection, refreshToken): Promise<CrmTokenGrant> {
      const t = await oauth.refresh(refreshToken)
      return {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        expiresAt: t.expiresAt,
        apiBase: t.apiDomain,
        ...(t.scopes.length > 0 ? { scopes: t.scopes } : {}),
      }
    },
    isRevoked: (err) => err instanceof PipedriveAuthError && err.revoked,
    revokeRefreshToken: (refreshToken) => oauth.revoke(refreshToken),
    isBudgetSpent: (err) => err instanceof PipedriveApiError && err.dailyBudgetSpent,
    open,
    deliveryOrder(payload) {
      const parsed = parsePipedriveWebhook(payload)
      const at = parsed.ok ? webhookInstant(parsed.delivery) : null
      return at ? Date.parse(at) : 0
    },
  }
}
