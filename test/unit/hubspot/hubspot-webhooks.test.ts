import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isEchoOfOwnWrite } from '../../../src/crm/hubspot/mapping.js'
import { contactEventKind, parseWebhookBatch, webhookDedupeKey } from '../../../src/crm/hubspot/webhooks.js'

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/hubspot/${name}`, import.meta.url), 'utf8'))

describe('HubSpot webhook batch', () => {
  it('parses the documented example batch', () => {
    const r = parseWebhookBatch(fixture('webhook-batch-docs-example.json'))
    if (!r.ok) throw new Error(JSON.stringify(r.issues))
    expect(r.events.map((e) => contactEventKind(e))).toEqual(['propertyChange', 'creation'])
    expect(r.events[0]).toMatchObject({
      objectId: 1246965,
      propertyName: 'lifecyclestage',
      propertyValue: 'subscriber',
    })
  })

  it('parses merges, privacy deletions and the generic object.* form', () => {
    const merge = parseWebhookBatch(fixture('webhook-contact-merge.json'))
    expect(merge.ok && merge.events[0]).toMatchObject({ primaryObjectId: 5001, mergedObjectIds: [5002] })
    const privacy = parseWebhookBatch(fixture('webhook-privacy-deletion.json'))
    expect(privacy.ok && privacy.events.map(contactEventKind)).toEqual(['privacyDeletion', 'deletion'])
    const mixed = parseWebhookBatch(fixture('webhook-engagement-and-echo.json'))
    expect(mixed.ok && mixed.events.map(contactEventKind)).toEqual([
      'propertyChange',
      'propertyChange',
      'propertyChange',
      'propertyChange',
    ])
    expect(contactEventKind({ subscriptionType: 'company.creation' })).toBeNull()
    expect(contactEventKind({ subscriptionType: 'object.creation', objectTypeId: '0-2' })).toBeNull()
    expect(contactEventKind({ subscriptionType: 'contact.somethingNew' })).toBeNull()
  })

  it('spots the echo of our own lifecycle write in a batch', () => {
    const r = parseWebhookBatch(fixture('webhook-engagement-and-echo.json'))
    if (!r.ok) throw new Error('parse')
    expect(r.events.map((e) => isEchoOfOwnWrite(e, String(e.appId)))).toEqual([false, false, true, false])
  })

  it('refuses what is not a HubSpot batch, naming the problem', () => {
    expect(parseWebhookBatch({ not: 'an array' }).ok).toBe(false)
    expect(parseWebhookBatch([]).ok).toBe(false)
    const tooMany = Array.from(
      { length: 101 },
      () => (fixture('webhook-batch-docs-example.json') as unknown[])[1],
    )
    expect(parseWebhookBatch(tooMany).ok).toBe(false)
    const r = parseWebhookBatch([{ eventId: 1 }])
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain('0.portalId')
  })

  it('gives a retry the same dedupe key and distinct changes distinct keys, even with one eventId', () => {
    const [first] = fixture('webhook-batch-docs-example.json') as Record<string, unknown>[]
    const parse = (x: unknown) => {
      const r = parseWebhookBatch([x])
      if (!r.ok) throw new Error('parse')
      return r.events[0]!
    }
    const original = parse(first)
    const retry = parse({ ...first, attemptNumber: 3 })
    const sameIdOtherObject = parse({ ...first, objectId: 999 })
    const sameIdOtherValue = parse({ ...first, propertyValue: 'lead' })
    expect(webhookDedupeKey(retry)).toBe(webhookDedupeKey(original))
    expect(webhookDedupeKey(sameIdOtherObject)).not.toBe(webhookDedupeKey(original))
    expect(webhookDedupeKey(sameIdOtherValue)).not.toBe(webhookDedupeKey(original))
  })
})
