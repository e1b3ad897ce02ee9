import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  COMPANY_READ_PROPERTIES,
  isCompanyPropertyRead,
  isEchoOfOwnWrite,
  PROFILE_MAPPING,
} from '../../../src/crm/hubspot/mapping.js'
import { HUBSPOT_REQUIRED_SCOPES } from '../../../src/crm/hubspot/oauth.js'
import {
  companyEventKind,
  contactEventKind,
  contactOfCompanyAssociation,
  parseWebhookBatch,
  webhookDedupeKey,
} from '../../../src/crm/hubspot/webhooks.js'

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

  it('parses company property changes (classic and generic) and contact↔company association changes', () => {
    const r = parseWebhookBatch(fixture('webhook-company-property-change.json'))
    if (!r.ok) throw new Error(JSON.stringify(r.issues))
    expect(r.events.map((e) => [contactEventKind(e), companyEventKind(e)])).toEqual([
      [null, 'propertyChange'],
    ])
    expect(r.events[0]).toMatchObject({ objectId: 9001, propertyName: 'numberofemployees' })
    expect(companyEventKind({ subscriptionType: 'object.propertyChange', objectTypeId: '0-2' })).toBe(
      'propertyChange',
    )
    expect(companyEventKind({ subscriptionType: 'object.propertyChange', objectTypeId: '0-1' })).toBeNull()
    expect(isCompanyPropertyRead('numberofemployees')).toBe(true)
    expect(isCompanyPropertyRead('hs_lastmodifieddate')).toBe(false)
    // Association changes name fromObjectId / toObjectId and no objectId (webhooks guide, payload fields).
    const assoc = parseWebhookBatch([
      {
        eventId: 5,
        subscriptionId: 9,
        portalId: 62515,
        appId: 12345,
        occurredAt: 1774958400000,
        subscriptionType: 'contact.associationChange',
        attemptNumber: 0,
        changeSource: 'USER',
        associationType: 'COMPANY_TO_CONTACT',
        fromObjectId: 9001,
        toObjectId: 201,
        associationRemoved: false,
        isPrimaryAssociation: true,
      },
    ])
    if (!assoc.ok) throw new Error(JSON.stringify(assoc.issues))
    expect(contactEventKind(assoc.events[0]!)).toBe('associationChange')
    expect(contactOfCompanyAssociation(assoc.events[0]!)).toBe('201')
    expect(
      contactOfCompanyAssociation({
        associationType: 'CONTACT_TO_COMPANY',
        fromObjectId: 201,
        objectId: 201,
      }),
    ).toBe('201')
    expect(contactOfCompanyAssociation({ associationType: 'CONTACT_TO_DEAL', objectId: 201 })).toBeNull()
  })

  it('the app project asks for the install URL scopes and subscribes to what Leadgrid reads', () => {
    const read = (path: string) =>
      JSON.parse(
        readFileSync(new URL(`../../../src/crm/hubspot/project/src/app/${path}`, import.meta.url), 'utf8'),
      )
    expect(read('app-hsmeta.json').config.auth.requiredScopes).toEqual([...HUBSPOT_REQUIRED_SCOPES])
    expect(HUBSPOT_REQUIRED_SCOPES).toContain('crm.objects.companies.read')
    const subs: { subscriptionType: string; propertyName?: string }[] = read(
      'webhooks/leadgrid-webhooks-hsmeta.json',
    ).config.subscriptions.legacyCrmObjects
    const props = (type: string) =>
      subs.filter((x) => x.subscriptionType === type).map((x) => x.propertyName ?? '')
    expect(props('contact.propertyChange')).toEqual(expect.arrayContaining(Object.values(PROFILE_MAPPING)))
    expect(props('contact.propertyChange')).toContain('numemployees')
    expect(props('contact.propertyChange')).not.toContain('numberofemployees')
    expect(props('company.propertyChange').sort()).toEqual([...COMPANY_READ_PROPERTIES].sort())
    expect(subs.map((x) => x.subscriptionType)).toEqual(
      expect.arrayContaining(['contact.associationChange', 'company.deletion', 'deal.creation']),
    )
    // Outcomes: stages, disqualification, deals closed (read with the deals scope).
    expect(props('contact.propertyChange')).toEqual(
      expect.arrayContaining(['lifecyclestage', 'hs_lead_status']),
    )
    expect(props('deal.propertyChange')).toEqual(['dealstage'])
    expect(HUBSPOT_REQUIRED_SCOPES).toContain('crm.objects.deals.read')
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
